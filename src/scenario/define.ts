import type { AttestationFields, EnclaveRecord, InstanceMetrics, InstanceSummary, OperatorShell, VolumeFile } from '../hypervisor/index.ts';
import type { AuditEntry } from '../sim/index.ts';
import type { AcceleratorDevice, Descriptor, DeviceMode, FirmwareImage, ResetReport } from '../accelerator/index.ts';
import type { InstalledDeviceInfo } from '../hypervisor/index.ts';
import type { FramedConnection } from '../ports/index.ts';
import type { Deployment, LaunchedEnclave, RelayControl, World, WorldDefences, WorldOptions } from '../world/index.ts';
import type { Cluster, ClusterOptions, NetworkHandle } from '../cluster/index.ts';
import type { Principal } from './principals.ts';
import type { DeliveryEvent, LinkEvent } from './checkers/records.ts';

/** The invariants of DESIGN.md; every checker is named after one. */
export type InvariantName =
  | 'INV-NO-CANARY'
  | 'INV-KEYS-ATTESTED'
  | 'INV-LINK'
  | 'INV-FAIL-CLOSED'
  | 'INV-AUDIT'
  | 'INV-FRESH'
  | 'INV-SCRUB'
  | 'INV-DELIVERY';

/** The three promises of DESIGN.md §1: P1 operators isolated, P2 customers isolate from themselves, P3 links secured. */
export type PromiseId = 'P1' | 'P2' | 'P3';

export type DefenceName = keyof WorldDefences;

/** Plain, JSON-serialisable data about a scenario: what the catalogue lists and reports carry. */
export interface ScenarioMeta {
  /** The catalogue id, e.g. `PA-03`. */
  readonly id: string;
  /** A slug `<attacker>.<surface>.<what>`, e.g. `pa.kms.replay-attestation`. */
  readonly name: string;
  readonly title: string;
  readonly attacker: Principal;
  readonly promises: readonly PromiseId[];
  readonly invariants: readonly InvariantName[];
  readonly tags: { readonly attack: readonly string[]; readonly atlas: readonly string[] };
  /** The switch the negative control turns off (null only for `expect: 'succeeds'`). */
  readonly defence: DefenceName | null;
  readonly expect: 'blocked' | 'succeeds';
  /** For people: what is tried, what stops it, what the control shows. */
  readonly teaching: string;
}

/** A read-only verdict of one checker. */
export interface CheckVerdict {
  readonly invariant: InvariantName | `SCENARIO-${string}`;
  readonly held: boolean;
  readonly detail: string;
}

/** The parent-admin's capabilities: its instance, its IAM role, its relays. Every byte obtained is ledgered. */
export interface ParentAdminHandle {
  readonly instanceId: string;
  readMemory(address: number, length: number): Uint8Array;
  /** Reads every page of its memory that holds data; returns how many. */
  scanMemory(channel?: string): number;
  readDisk(path: string): Uint8Array;
  writeDisk(path: string, data: Uint8Array): void;
  listDisk(): string[];
  /** A KMS call signed with the instance role (status and parsed body; blobs base64 as on the wire). */
  kms(operation: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }>;
  launchEnclave(options: { image?: Uint8Array; debugMode?: boolean; memoryMiB?: number }): Promise<LaunchedEnclave>;
  terminateEnclave(enclaveId: string): void;
  /** Console lines of its debug-mode enclaves seen so far. */
  consoleLines(): string[];
  /** Its own relays: filter, drop, replay, inject, reroute KMS traffic. */
  readonly relay: RelayControl;
  /** Opens a connection to one of its enclaves' vsock ports (as its own software can). */
  connectToEnclave(cid: number, port: number): Promise<FramedConnection>;
  /** The PCIe functions of accelerators assigned through its instance (absent on a world without accelerators). */
  readonly devices?: InstanceDeviceHandle;
}

/**
 * What an instance's admin holds of an accelerator assigned through its instance: the PCIe function (staging and
 * link slots in its own memory, the doorbell as 'parent', BAR reads, mode register, reset). Every byte read is ledgered.
 */
export interface InstanceDeviceHandle {
  /** Devices assigned through this instance now. */
  ids(): string[];
  readStaging(deviceId: string, slot: number): Uint8Array;
  writeStaging(deviceId: string, slot: number, bytes: Uint8Array): void;
  /** Its own memory: it sees each staging write as it lands (the bytes are in its ledger already). */
  watchStaging(deviceId: string, watcher: (slot: number, bytes: Uint8Array) => void): void;
  submit(deviceId: string, descriptor: Descriptor): void;
  doorbell(deviceId: string): number;
  barRead(deviceId: string, address: number, length: number): Uint8Array;
  perfCounters(deviceId: string): Readonly<Record<string, number>> | null;
  setPendingMode(deviceId: string, mode: DeviceMode): void;
  reset(deviceId: string): ResetReport;
}

/** The infrastructure operator's capabilities: the host's management API, and nothing that reads guests. */
export interface OperatorHandle {
  listInstances(): InstanceSummary[];
  metrics(instanceId: string): InstanceMetrics;
  stopInstance(instanceId: string): void;
  startInstance(instanceId: string): void;
  /** Present only when the host is built as a conventional hypervisor (negative controls). */
  readonly dumpGuestMemory: ((instanceId: string) => Uint8Array) | undefined;
  // Operator capabilities of the host folder (OP group). Optional so older handle builders still type-check.
  /** Kills an enclave: availability is not promised (OP-11). */
  readonly killEnclave?: (enclaveId: string) => void;
  /** An EBS-style volume snapshot: disk contents only, on any host (OP-08). */
  readonly snapshotVolume?: (instanceId: string) => VolumeFile[];
  /** The running card firmware image, and deploying a new one (measured boot checks its signature, OP-07). */
  readonly currentFirmware?: () => Uint8Array;
  readonly deployFirmware?: (image: Uint8Array) => { readonly version: string; readonly measurement: string };
  /** Present only while an unsigned debug firmware build runs: it attests any PCRs and speaks vsock (OP-07). */
  readonly firmwareConsole?: { attest(instanceId: string, fields: AttestationFields): Uint8Array; connectVsock(instanceId: string, port: number): Promise<FramedConnection> } | undefined;
  /** Present only on a host built without `auditBeforeEffect` (OP-06). */
  readonly rewriteAuditLog?: ((keep: (entry: AuditEntry) => boolean) => number) | undefined;
  /** Present only on a conventional hypervisor (`closedOperatorApi` off): OP-02, OP-04, OP-05. */
  readonly readVcpuState?: ((enclaveId: string) => Uint8Array) | undefined;
  readonly snapshotInstance?: ((instanceId: string) => { readonly memory: Uint8Array; readonly volume: VolumeFile[] }) | undefined;
  readonly openShell?: (() => OperatorShell) | undefined;
  // Accelerator management plane (DEV, OP-03/09/10): ids, BAR reads, counters, resets, firmware and mode staging.
  readonly listDevices?: () => InstalledDeviceInfo[];
  /** BAR read through the management plane: all-ones while the device is confidential. */
  readonly readDeviceMemory?: (deviceId: string, address: number, length: number) => Uint8Array;
  readonly devicePerfCounters?: (deviceId: string) => Readonly<Record<string, number>> | null;
  readonly resetDevice?: (deviceId: string) => ResetReport;
  /** Stages a firmware image for the device's next reset (the boot ROM judges it then). */
  readonly stageDeviceFirmware?: (deviceId: string, image: FirmwareImage) => void;
  /** Writes the device's mode register; it takes effect at the next reset. */
  readonly setDevicePendingMode?: (deviceId: string, mode: DeviceMode) => void;
  /** A DMA the operator programs on a device's engine, into host physical memory, through the IOMMU (OP-03). */
  readonly deviceDma?: (deviceId: string, physicalAddress: number, length: number) => Uint8Array;
  /** Hands in the data centre: another device in the same slot, same bus address and assignment (DEV-01, DEV-05). */
  readonly swapDevice?: (deviceId: string, replacement: AcceleratorDevice) => void;
  /** A bus analyser on a slot: sees each SPDM mailbox message (public certificates and signed reports) as it passes. */
  readonly watchDeviceBus?: (deviceId: string, observer: (direction: 'to-device' | 'to-enclave', bytes: Uint8Array) => void) => void;
  /** Installs a device in a free slot, declaring its vendor root to the platform. */
  readonly installDevice?: (device: AcceleratorDevice, vendorRootDer: Uint8Array) => InstalledDeviceInfo;
}

/** Another customer on the same host: its own instance (memory, disk, role) and its own enclaves. */
export interface CoTenantHandle extends Omit<ParentAdminHandle, 'relay'> {}

export interface AttackerHandles {
  readonly 'parent-admin'?: ParentAdminHandle;
  readonly operator?: OperatorHandle;
  readonly 'co-tenant'?: CoTenantHandle;
  /** Taps and interposers on the fabric of a cluster scenario (absent on a single-host world). */
  readonly network?: NetworkHandle;
}

/** What setup, attack, check and revert receive. */
export interface ScenarioContext {
  /** The world of the scenario; in a cluster scenario, rank 0's host. */
  readonly world: World;
  /** Present when the scenario declares `cluster`: every host, the fabric and the collective. */
  readonly cluster?: Cluster;
  readonly seed: number;
  /** False in the negative control run (the scenario's defence is off). */
  readonly defended: boolean;
  /** Only the handles the scenario's attacker principal holds. */
  readonly attacker: AttackerHandles;
  /** Narration for people and reports. */
  note(text: string): void;
  /** Files bytes the attacker obtained outside the handles (e.g. decoded from a reply) in its ledger. */
  loot(channel: string, data: Uint8Array | string): void;
  /** The standard setup: the owner deploys the model and the parent launches the approved enclave, which gets its key. */
  deployAndLaunch(options?: { image?: Uint8Array; debugMode?: boolean }): Promise<{ deployment: Deployment; enclave: EnclaveRecord; ready: boolean }>;
  /** Records that an integrity failure happened and whether it was typed and changed nothing (INV-FAIL-CLOSED). */
  failClosed(label: string, outcome: { typed: boolean; stateUnchanged: boolean; detail: string }): void;
  /** Files one message seen on a link outside a single TCB (INV-LINK); the fabric and accelerator links use it. */
  recordLink?(event: LinkEvent): void;
  /** Files the fate of one fabric message (INV-DELIVERY). */
  recordDelivery?(event: DeliveryEvent): void;
}

export interface ScenarioDefinition<State = unknown> extends ScenarioMeta {
  /** World options for both runs (the control additionally turns `defence` off). */
  readonly world?: Omit<WorldOptions, 'seed' | 'defences'>;
  /** A multi-host scenario: the run builds a Cluster with the run's seed and defences (ctx.cluster, ctx.world = rank 0's). */
  readonly cluster?: Omit<ClusterOptions, 'seed' | 'defences'>;
  /**
   * Defences off in *both* runs, for a scenario that studies one layer on its own (e.g. the KMS nonce check
   * beneath the authenticated channel). The control still differs from the defended run by `defence` alone.
   */
  readonly baselineDefencesOff?: readonly DefenceName[];
  setup?(ctx: ScenarioContext): Promise<State>;
  attack(ctx: ScenarioContext, state: State): Promise<void>;
  /** Scenario-specific checks; read only. The global checkers always run too. */
  check?(ctx: ScenarioContext, state: State): CheckVerdict[];
  /** For interactive demos: undo what the attack changed (tests simply drop the world). */
  revert?(ctx: ScenarioContext, state: State): Promise<void>;
}

export interface Scenario<State = unknown> extends ScenarioDefinition<State> {
  readonly kind: 'scenario';
}

const SLUG = /^[a-z]+(\.[a-z0-9-]+)+$/;
const CATALOGUE_ID = /^[A-Z]{2,4}-\d{2}$|^[A-Z][A-Z0-9-]+$/;

/** Declares a scenario; the metadata is validated here so a bad definition fails at import, not mid-run. */
export function defineScenario<State>(definition: ScenarioDefinition<State>): Scenario<State> {
  const problems: string[] = [];
  if (!CATALOGUE_ID.test(definition.id)) problems.push(`id ${JSON.stringify(definition.id)} is not a catalogue id like PA-03`);
  if (!SLUG.test(definition.name)) problems.push(`name ${JSON.stringify(definition.name)} is not a slug like pa.kms.replay-attestation`);
  if (definition.expect === 'blocked' && definition.defence === null) problems.push('a blocked scenario must name the defence its control turns off');
  if (definition.invariants.length === 0) problems.push('a scenario names at least one invariant');
  if (problems.length > 0) throw new TypeError(`scenario ${definition.id}: ${problems.join('; ')}`);
  return Object.freeze({ ...definition, kind: 'scenario' as const });
}
