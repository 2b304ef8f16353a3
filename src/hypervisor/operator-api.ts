import type { ResetReport } from '../accelerator/index.ts';
import type { PipeEnd } from '../ports/index.ts';
import type { AuditEntry } from '../sim/index.ts';
import { EmuError } from '../errors.ts';
import type { InstalledDeviceInfo } from './devices.ts';
import type { Host } from './host.ts';
import type { AttestationFields } from './nitro-controller.ts';
import { guestImage, instanceOwners, openShell, type OperatorShell } from './operator-conventional.ts';

export interface InstanceSummary {
  readonly instanceId: string;
  readonly state: string;
  readonly memoryMiB: number;
  readonly cpuCount: number;
  readonly enclaveCount: number;
  /** Which enclaves run there (management-plane facts: ids, never contents). */
  readonly enclaveIds: readonly string[];
}

export interface InstanceMetrics {
  readonly instanceId: string;
  readonly state: string;
  readonly cpuCount: number;
  readonly memoryMiB: number;
  readonly enclaves: number;
  readonly enclaveMemoryMiB: number;
  readonly vsockConnections: number;
}

/** One file of a volume snapshot. */
export interface VolumeFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** What a debug firmware build offers whoever deployed it: the card's powers, unchecked. */
export interface FirmwareDebugConsole {
  /** Signs an attestation document for any PCRs, under the instance's genuine chain. */
  attest(instanceId: string, fields: AttestationFields): Uint8Array;
  /** Speaks on an instance's vsock as if it were one of its enclaves (the card implements vsock). */
  connectVsock(instanceId: string, port: number): Promise<PipeEnd>;
}

/**
 * What the infrastructure operator can do with a host: list, start, stop, read metrics, kill an
 * enclave, snapshot a volume (disk contents only), deploy card firmware. It is closed: no call returns
 * customer memory, vCPU state, keys or plaintext — those calls are absent, not forbidden. Every call
 * is in the host's hash-chained audit log before it takes effect, and in the host's effects journal.
 *
 * With `closedOperatorApi` off, the host is built as a conventional hypervisor and also offers
 * `dumpGuestMemory`, `readVcpuState`, `snapshotInstance` and `openShell`: the contrast negative
 * controls are made of. With `auditBeforeEffect` off it also offers `rewriteAuditLog`.
 */
export class OperatorApi {
  readonly #host: Host;

  constructor(host: Host) {
    this.#host = host;
  }

  listInstances(): InstanceSummary[] {
    return this.#host.operatorAction('instances.list', {}, () =>
      this.#host.instances.map((p) => ({
        instanceId: p.instanceId,
        state: p.state,
        memoryMiB: p.info.memoryMiB,
        cpuCount: p.info.cpuCount,
        enclaveCount: this.#host.enclaves.filter((e) => e.parent === p).length,
        enclaveIds: this.#host.enclaves.filter((e) => e.parent === p).map((e) => e.enclaveId),
      })),
    );
  }

  metrics(instanceId: string): InstanceMetrics {
    return this.#host.operatorAction('instances.metrics', { instanceId }, () => {
      const parent = this.#host.instance(instanceId);
      const enclaves = this.#host.enclaves.filter((e) => e.parent === parent);
      return {
        instanceId,
        state: parent.state,
        cpuCount: parent.info.cpuCount,
        memoryMiB: parent.info.memoryMiB,
        enclaves: enclaves.length,
        enclaveMemoryMiB: enclaves.reduce((sum, e) => sum + e.memoryMiB, 0),
        vsockConnections: 0,
      };
    });
  }

  stopInstance(instanceId: string): void {
    this.#host.operatorAction('instances.stop', { instanceId }, () => {
      const parent = this.#host.instance(instanceId);
      if (parent.state === 'stopped') throw new EmuError('HV_INSTANCE_STOPPED', `${instanceId} is already stopped`);
      for (const enclave of this.#host.enclaves.filter((e) => e.parent === parent)) {
        this.#host.terminateEnclave(enclave.enclaveId, 'operator');
      }
      parent.state = 'stopped';
    });
  }

  startInstance(instanceId: string): void {
    this.#host.operatorAction('instances.start', { instanceId }, () => {
      const parent = this.#host.instance(instanceId);
      if (parent.state === 'running') throw new EmuError('HV_INSTANCE_RUNNING', `${instanceId} is already running`);
      parent.state = 'running';
    });
  }

  /** Availability is not promised: the operator may kill an enclave (its pages are scrubbed, OP-11). */
  killEnclave(enclaveId: string): void {
    this.#host.operatorAction('enclaves.kill', { enclaveId }, () => this.#host.terminateEnclave(this.#host.enclave(enclaveId).enclaveId, 'operator'));
  }

  /** An EBS-style snapshot of an instance's volume: disk contents only, on any host (OP-08). */
  snapshotVolume(instanceId: string): VolumeFile[] {
    return this.#host.operatorAction('volumes.snapshot', { instanceId }, () => {
      const disk = this.#host.instance(instanceId).disk;
      return disk.list().map((path) => ({ path, data: disk.read(path) }));
    });
  }

  /** The accelerators in the host's slots and their assignments (management-plane facts: ids, never contents). */
  listDevices(): InstalledDeviceInfo[] {
    return this.#host.operatorAction('devices.list', {}, () => [...this.#host.devices]);
  }

  /** A BAR read through the device's management plane: all-ones while the device is confidential (OP-09). */
  readDeviceMemory(deviceId: string, address: number, length: number): Uint8Array {
    return this.#host.operatorAction('devices.read-memory', { deviceId, address, length }, () => this.#host.deviceManagement(deviceId).mgmtRead(address, length));
  }

  /** Perf counters through the management plane: null unless the device runs off or in devtools mode (OP-09). */
  devicePerfCounters(deviceId: string): Readonly<Record<string, number>> | null {
    return this.#host.operatorAction('devices.perf-counters', { deviceId }, () => this.#host.deviceManagement(deviceId).perfCounters());
  }

  /** A function-level reset: availability is not promised, but the reset scrubs, so nothing is left to read. */
  resetDevice(deviceId: string): ResetReport {
    return this.#host.operatorAction('devices.reset', { deviceId }, () => this.#host.deviceManagement(deviceId).reset());
  }

  /** The running card firmware's image (the platform's own, not a customer's). */
  currentFirmware(): Uint8Array {
    return this.#host.operatorAction('firmware.read', {}, () => this.#host.nitro.firmwareImage);
  }

  /** Deploys card firmware; measured boot refuses an image the platform's firmware key did not sign (OP-07). */
  deployFirmware(image: Uint8Array): { readonly version: string; readonly measurement: string } {
    return this.#host.operatorAction('firmware.deploy', { bytes: image.length }, () => {
      const booted = this.#host.nitro.deployFirmware(image);
      return { version: booted.manifest.version, measurement: booted.measurement };
    });
  }

  /** Present only while a debug firmware build runs (never, on a host that boots only signed firmware). */
  get firmwareConsole(): FirmwareDebugConsole | undefined {
    const forger = this.#host.nitro.debugAttestationConsole;
    if (forger === undefined) return undefined;
    const host = this.#host;
    return {
      attest: (instanceId, fields) => host.operatorAction('firmware.console.attest', { instanceId }, () => forger.forge(host.instance(instanceId).instanceId, fields)),
      connectVsock: (instanceId, port) => host.operatorAction('firmware.console.vsock', { instanceId, port }, () => host.cardVsockConnect(instanceId, port, 'operator')),
    };
  }

  /** Present only on a host built without `auditBeforeEffect`: the log is then a file its admin edits (OP-06). */
  get rewriteAuditLog(): ((keep: (entry: AuditEntry) => boolean) => number) | undefined {
    if (this.#host.defences.auditBeforeEffect) return undefined;
    return (keep) => this.#host.operatorAction('audit.rewrite', {}, () => this.#host.rewriteAudit(keep));
  }

  /** Present only on a conventional hypervisor (defence `closedOperatorApi` off). OP-01. */
  get dumpGuestMemory(): ((instanceId: string) => Uint8Array) | undefined {
    if (this.#host.defences.closedOperatorApi) return undefined;
    return (instanceId: string) =>
      this.#host.operatorAction('instances.dump-memory', { instanceId }, () => guestImage(this.#host, instanceOwners(this.#host, instanceId)));
  }

  /** Present only on a conventional hypervisor: the saved register file of each of an enclave's vCPUs (OP-02). */
  get readVcpuState(): ((enclaveId: string) => Uint8Array) | undefined {
    if (this.#host.defences.closedOperatorApi) return undefined;
    return (enclaveId: string) => this.#host.operatorAction('enclaves.read-vcpu', { enclaveId }, () => this.#host.vcpuRegisters(enclaveId));
  }

  /** Present only on a conventional hypervisor: an image of a running instance and its enclaves (OP-04). */
  get snapshotInstance(): ((instanceId: string) => { readonly memory: Uint8Array; readonly volume: VolumeFile[] }) | undefined {
    if (this.#host.defences.closedOperatorApi) return undefined;
    return (instanceId: string) =>
      this.#host.operatorAction('instances.snapshot', { instanceId }, () => {
        const disk = this.#host.instance(instanceId).disk;
        return { memory: guestImage(this.#host, instanceOwners(this.#host, instanceId)), volume: disk.list().map((path) => ({ path, data: disk.read(path) })) };
      });
  }

  /** Present only on a conventional hypervisor: a login shell on the host (OP-05). */
  get openShell(): (() => OperatorShell) | undefined {
    if (this.#host.defences.closedOperatorApi) return undefined;
    return () => this.#host.operatorAction('shell.open', {}, () => openShell(this.#host));
  }
}
