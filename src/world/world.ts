import { AttestationVerifier, toHex, utf8 } from '../crypto/index.ts';
import { enclaveImageForAppDefences, loadEnclaveImage, pickAppDefences } from '../enclave/index.ts';
import { Host, type ParentInstance } from '../hypervisor/index.ts';
import { KmsService } from '../kms/index.ts';
import { CanarySet, LEDGER_OBSERVATIONS_MAX, Ledger, isPrincipal, type Principal } from '../scenario/index.ts';

import { Simulator } from '../sim/index.ts';
import { EmuError, assert } from '../errors.ts';
import type { EmulatedAccelerator, StagingOrigin } from '../accelerator/index.ts';
import { APP_PATHS, startAppServices } from './app-services.ts';
import { DEVICES_MAX, DEVICE_DEFENCE_NAMES, DRIVER_DEFENCE_NAMES, devicePolicyJson, makeWorldDevices, standardVendor } from './accelerators.ts';
import { KmsEndpoint } from './kms-endpoint.ts';
import { MessageLog } from './messages.ts';
import { kmsTlsIdentity } from './kms-identity.ts';
import { ACCOUNT_ID, ALL_DEFENCES, arns, type WorldDefences, type WorldOptions } from './options.ts';
import { openRelayControl, startParentServices, type RelayControl } from './parent-services.ts';

/** How long KMS and clients accept an attestation document after it was issued. */
export const DOCUMENT_MAX_AGE_MS = 5 * 60 * 1000;

/**
 * One complete world from a seed: the simulator, a host with one parent instance, the parent's
 * services, KMS behind the network, the ledger with its canaries. The demo, scenarios, swarm and
 * the CLI all start here.
 */
export class World {
  readonly options: WorldOptions;
  readonly sim: Simulator;
  readonly defences: WorldDefences;
  readonly canaries = new CanarySet();
  readonly ledger: Ledger;
  readonly host: Host;
  readonly kms: KmsService;
  readonly kmsEndpoint: KmsEndpoint;
  readonly parent: ParentInstance;
  readonly accountId: string;
  readonly arns: ReturnType<typeof arns>;
  /**
   * The image the owner approves: the default app with this world's app defences in its measured config
   * (all on: `defaultEnclaveImage()`, the same in every world; a control world approves its weaker image).
   */
  readonly approvedImage: Uint8Array;
  /** Every line the app sent to the parent's log collector (the parent-admin's ledger has the bytes too). */
  readonly appLogLines: readonly string[];
  readonly approvedPcr0: string;
  /** The image the parent will launch (the approved one unless the options say otherwise). */
  readonly launchImage: Uint8Array;
  readonly verifier: AttestationVerifier;
  /** The parent-admin's hold on its own relays (attack scenarios drive it). */
  readonly relayControl: RelayControl = openRelayControl();
  /** The host's accelerators (empty without `options.accelerators`), in PCIe slot order. */
  readonly accelerators: readonly EmulatedAccelerator[];
  /** Who sent what to whom (the ledger files by receiver); read by the trace page, outside the digest. */
  readonly messages = new MessageLog();

  constructor(options: WorldOptions) {
    this.options = options;
    this.sim = new Simulator({
      seed: options.seed,
      ...(options.epochMs !== undefined ? { epochMs: options.epochMs } : {}),
      ...(options.faultPlan ? { faultPlan: options.faultPlan } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    this.defences = { ...ALL_DEFENCES, ...options.defences };
    this.ledger = new Ledger(this.canaries, () => this.sim.nowNs, LEDGER_OBSERVATIONS_MAX, options.ledgerWhenFull ?? 'refuse');
    this.accountId = options.accountId ?? ACCOUNT_ID;
    this.arns = arns(this.accountId);
    const observe = (owner: string, channel: string, bytes: Uint8Array, from?: string) => this.observe(owner, channel, bytes, from);
    this.host = new Host({
      sim: this.sim,
      region: options.region ?? 'us-east-1',
      defences: this.defences,
      observe,
      nsmLockEnforced: this.defences.nsmLockEnforced,
      ...(options.platformSeed !== undefined ? { nitroRootSeed: options.platformSeed } : {}),
      onConsole: (enclaveId, line) => this.observe(this.host.enclaves.find((e) => e.enclaveId === enclaveId)?.parent.info.principal ?? 'parent-admin', `console ${enclaveId}`, line),
    });
    this.kms = new KmsService({
      sim: this.sim,
      attestationRootDer: this.host.nitro.rootCertificateDer,
      region: this.host.region,
      accountId: this.accountId,
      maxDocumentAgeMs: DOCUMENT_MAX_AGE_MS,
      defences: this.defences,
      revocation: this.host.nitro.revocations,
    });
    this.kmsEndpoint = new KmsEndpoint(this.sim, this.kms, observe, kmsTlsIdentity(this.sim, this.host.region));
    this.parent = this.host.createInstance({ roleArn: this.arns.parentRole, memoryMiB: 1024, cpuCount: 4 });
    startParentServices({ vsock: this.parent.vsock, parent: this.parent, kms: this.kmsEndpoint, control: this.relayControl });
    this.appLogLines = startAppServices({ vsock: this.parent.vsock, parent: this.parent }).logLines;
    // The parent's seed file for an app that does not draw from its NSM (PA-15: the parent knows every byte).
    if (!this.defences.appEntropyFromNsm) this.parent.disk.write(APP_PATHS.entropy, this.sim.prng('parent.entropy-file').bytes(32));
    this.accelerators = this.#installAccelerators();
    const checksOff = DRIVER_DEFENCE_NAMES.filter((name) => !this.defences[name]);
    this.approvedImage = enclaveImageForAppDefences(
      pickAppDefences(this.defences),
      checksOff.length === 0 ? [] : [{ path: 'device-policy.json', data: utf8(devicePolicyJson(checksOff)) }],
    );
    this.approvedPcr0 = toHex(loadEnclaveImage(this.approvedImage).measurements.pcr0);
    this.launchImage = options.enclaveImage ?? this.approvedImage;
    this.verifier = new AttestationVerifier(this.host.nitro.rootCertificateDer);
    this.sim.record('world.created', { seed: options.seed, epochMs: this.sim.epochMs, approvedPcr0: this.approvedPcr0 });
  }

  /**
   * Devices of the chosen flavour in the host's PCIe slots, powered on in confidential mode (off on the plain path).
   * Their staging and link slots are host memory: the parent-admin's ledger sees every write as it lands.
   */
  #installAccelerators(): EmulatedAccelerator[] {
    const wanted = this.options.accelerators;
    if (wanted === undefined) return [];
    if (!Number.isSafeInteger(wanted.count) || wanted.count < 1 || wanted.count > DEVICES_MAX) {
      throw new EmuError('WORLD_BAD_OPTIONS', `accelerators.count must be 1…${DEVICES_MAX}`);
    }
    const deviceDefences = Object.fromEntries(DEVICE_DEFENCE_NAMES.map((name) => [name, this.defences[name]]));
    const devices = makeWorldDevices({
      flavour: wanted.flavour,
      count: wanted.count,
      prng: (name) => this.sim.prng(name),
      confidential: this.defences.deviceConfidentialPath,
      defences: deviceDefences as never,
    });
    const vendorRootDer = standardVendor(wanted.flavour).rootDer;
    for (const device of devices) {
      this.host.installAccelerator(device, { vendorRootDer });
      const tag = `device ${device.deviceId.slice(0, 8)}`;
      device.staging.watch((slot, bytes, origin) => {
        // A write the driver or device did not announce is the parent's own (it owns the memory).
        const [from, to] = origin === undefined ? (['parent-admin', 'device'] as const) : origin.writer === 'driver' ? (['enclave', 'device'] as const) : (['device', 'enclave'] as const);
        this.observeHostMemory(`${tag} staging ${slot}`, bytes, from, to, origin);
      });
      device.link.watch((slot, bytes, origin) => {
        this.observeHostMemory(`${tag} link ${slot}`, bytes, origin === undefined ? 'parent-admin' : 'device', 'device', origin);
      });
    }
    return devices;
  }

  /**
   * A write into a device's slots in parent memory: filed under the parent, which owns that memory and so sees
   * every write; a message from its writer, seen in transit by the parent when someone else wrote it.
   */
  private observeHostMemory(channel: string, bytes: Uint8Array, from: Principal, to: Principal, origin: StagingOrigin | undefined): void {
    const observation = this.ledger.record('parent-admin', channel, bytes);
    this.messages.record({ timeNs: this.sim.nowNs, from, to, channel: observation.channel, observation, ...(from === 'parent-admin' ? {} : { observedBy: 'parent-admin' as const }), ...(origin === undefined ? {} : { sealed: origin.sealed }) });
  }

  /**
   * Files bytes a principal received through an interface under that principal in the ledger; with `from`
   * (another principal that sent them) the transfer is also a message in `messages`.
   */
  observe(owner: string, channel: string, bytes: Uint8Array | string, from?: string): void {
    assert(isPrincipal(owner), `ledger owner ${owner} is not a principal`);
    const observation = this.ledger.record(owner as Principal, channel, bytes);
    if (from !== undefined && from !== owner && isPrincipal(from)) {
      this.messages.record({ timeNs: observation.timeNs, from, to: owner as Principal, channel, observation });
    }
  }
}
