import type { AcceleratorDevice, EnclaveDevicePort, ResetReport } from '../accelerator/index.ts';
import { toHex } from '../crypto/index.ts';
import { EnclaveRuntime, NsmDevice, PlatformCounters, loadEnclaveImage, type LoadedEnclaveImage } from '../enclave/index.ts';
import { EmuError } from '../errors.ts';
import { VMADDR_CID_PARENT, VsockBus, type DeliveryObserver, type PipeEnd } from '../ports/index.ts';
import type { AuditEntry, AuditLog, Simulator, TraceValue } from '../sim/index.ts';
import { NITRO_DEFENCES, type HypervisorDefences } from './defences.ts';
import type { EnclaveLaunchOptions, EnclaveRecord, HostOptions, ReleasedEnclave } from './host-types.ts';
import type { DeviceManagementPlane, ParentDeviceView } from './device-binding.ts';
import { dmaRead, dmaWrite } from './device-iommu.ts';
import type { DeviceMailboxRelay } from './device-relay.ts';
import { HostDevices, type AcceleratorInstallOptions, type InstalledDeviceInfo } from './devices.ts';
import type { HostEffect } from './effects.ts';
import { HostAuditTrail } from './host-audit.ts';
import { measurePcrs, writeCoreDump } from './host-measure.ts';
import { AddressSpace, PAGE_BYTES, PhysicalMemory } from './memory.ts';
import { NitroController } from './nitro-controller.ts';
import { OperatorApi } from './operator-api.ts';
import { ParentDisk, ParentInstance } from './parent.ts';
import { VcpuRegisters } from './vcpu.ts';

export type { HostOptions, EnclaveLaunchOptions, EnclaveRecord, ReleasedEnclave } from './host-types.ts';

/**
 * One physical host: its memory, its vsock switch, the Nitro controller that measures and attests,
 * the instances on it and the closed operator API. Every management action is audited before it acts.
 */
export class Host {
  readonly sim: Simulator;
  readonly region: string;
  readonly defences: HypervisorDefences;
  readonly memory: PhysicalMemory;
  readonly nitro: NitroController;
  readonly operator: OperatorApi;
  readonly #trail: HostAuditTrail;
  readonly #released: ReleasedEnclave[] = [];
  readonly #vcpus = new Map<string, VcpuRegisters>();
  readonly #instances = new Map<string, ParentInstance>();
  readonly #enclaves = new Map<string, EnclaveRecord>();
  readonly #nsms = new Map<string, NsmDevice>();
  readonly #observe: DeliveryObserver | undefined;
  readonly #onConsole: ((enclaveId: string, line: string) => void) | undefined;
  readonly #nsmLockEnforced: boolean;
  readonly #devices: HostDevices;
  /** ASSUMED platform service (not in real Nitro): a monotonic counter per image, keyed by PCR0 (RB-01). */
  readonly counters = new PlatformCounters();

  constructor(options: HostOptions) {
    this.sim = options.sim;
    this.region = options.region ?? 'us-east-1';
    this.defences = options.defences ?? NITRO_DEFENCES;
    this.memory = new PhysicalMemory((options.memoryMiB ?? 4096) * 1024 * 1024);
    this.nitro = new NitroController(this.sim, this.region, {
      signedFirmwareOnly: this.defences.signedFirmwareOnly,
      ...(options.nitroRootSeed !== undefined ? { rootSeed: options.nitroRootSeed } : {}),
    });
    this.#trail = new HostAuditTrail(() => this.sim.nowMs, this.defences.auditBeforeEffect);
    this.#onConsole = options.onConsole;
    this.#nsmLockEnforced = options.nsmLockEnforced ?? true;
    this.#observe = options.observe;
    this.operator = new OperatorApi(this);
    this.#devices = new HostDevices({
      sim: this.sim,
      defences: this.defences,
      log: () => this.#trail.log,
      operatorAction: (action, details, run) => this.#trail.operatorAction(action, details, run),
      enclave: (enclaveId) => this.enclave(enclaveId),
      endorse: (device, nonce) => this.nitro.endorseDevice(device, nonce),
      trustVendorRoot: (der) => this.nitro.trustVendorRoot(der),
    });
  }

  /** The hash-chained audit log (on a conventional host the operator may have rewritten it: see `rewriteAudit`). */
  get audit(): AuditLog {
    return this.#trail.log;
  }

  /** Ground truth for INV-AUDIT: everything the operator API did, with the audit entry that preceded it. */
  get effects(): readonly HostEffect[] {
    return this.#trail.effects;
  }

  /** Enclaves terminated so far and the frames each gave back (read-only, for INV-SCRUB checkers). */
  get releasedEnclaves(): readonly ReleasedEnclave[] {
    return [...this.#released];
  }

  /**
   * Writes the audit entry an operator action needs before it acts (skipped when the host was built
   * without `auditBeforeEffect`), runs it, and journals its effect either way.
   */
  operatorAction<T>(action: string, details: Record<string, TraceValue>, run: () => T): T {
    return this.#trail.operatorAction(action, details, run);
  }

  /** Only on a host built without `auditBeforeEffect`: rebuilds the log from the entries `keep` retains. */
  rewriteAudit(keep: (entry: AuditEntry) => boolean): number {
    return this.#trail.rewrite(keep);
  }

  /**
   * The card implements vsock, so whoever controls the card can speak on an instance's vsock as a
   * new enclave would. Reached only through a debug firmware's console or a physical attack's stand-in.
   */
  async cardVsockConnect(instanceId: string, port: number, owner: string): Promise<PipeEnd> {
    const parent = this.instance(instanceId);
    const cid = this.#pickCid(parent, 0);
    parent.vsock.attach(cid, owner);
    return parent.vsock.connect(cid, { cid: VMADDR_CID_PARENT, port });
  }

  /** The last register state of an enclave's vCPU (the hypervisor saves it on every exit). */
  vcpuRegisters(enclaveId: string): Uint8Array {
    const registers = this.#vcpus.get(this.enclave(enclaveId).enclaveId);
    return registers === undefined ? new Uint8Array(0) : registers.snapshot();
  }

  get instances(): readonly ParentInstance[] {
    return [...this.#instances.values()];
  }

  get enclaves(): readonly EnclaveRecord[] {
    return [...this.#enclaves.values()];
  }

  instance(instanceId: string): ParentInstance {
    const found = this.#instances.get(instanceId);
    if (found === undefined) throw new EmuError('HV_NO_SUCH_INSTANCE', `no instance ${instanceId} on this host`);
    return found;
  }

  enclave(enclaveId: string): EnclaveRecord {
    const found = this.#enclaves.get(enclaveId);
    if (found === undefined) throw new EmuError('HV_NO_SUCH_ENCLAVE', `no enclave ${enclaveId} on this host`);
    return found;
  }

  /** Places a customer instance on the host (the control plane's job; audited as such). */
  createInstance(options: {
    roleArn: string | null;
    memoryMiB: number;
    cpuCount: number;
    diskBytesMax?: number;
    /** Whose instance this is, as the ledger names the principal (a co-tenant's is `co-tenant`). */
    principal?: string;
  }): ParentInstance {
    const random = this.sim.prng('host.instance-ids');
    const instanceId = `i-${toHex(random.bytes(9)).slice(0, 17)}`;
    this.#trail.log.append('control-plane', 'instance.create', 'attempt', { instanceId, memoryMiB: options.memoryMiB });
    const frames = this.memory.allocate(`instance:${instanceId}`, (options.memoryMiB * 1024 * 1024) / PAGE_BYTES);
    const owner = `instance:${instanceId}`;
    // The parent reaches a frame only while it owns it, unless isolation is off (a conventional hypervisor).
    const mayAccess = (frame: number) => {
      const current = this.memory.ownerOf(frame);
      return current === owner || (!this.defences.enclaveMemoryIsolation && current.startsWith(`enclave:${instanceId}`));
    };
    const memory = this.defences.guestMemoryIsolation
      ? new AddressSpace(this.memory, owner, frames, mayAccess)
      : // The conventional host's bug: above its RAM, every guest sees a window onto all of host memory.
        new AddressSpace(this.memory, owner, [...frames, ...Array.from({ length: this.memory.framesTotal }, (_, f) => f)], (frame) => true);
    // Each instance and its enclaves share one vsock domain, where CID 3 is that instance.
    const vsock = new VsockBus({ sim: this.sim, ...(this.#observe ? { observe: this.#observe } : {}) });
    const principal = options.principal ?? 'parent-admin';
    vsock.attach(VMADDR_CID_PARENT, principal);
    const parent = new ParentInstance(
      { instanceId, roleArn: options.roleArn, memoryMiB: options.memoryMiB, cpuCount: options.cpuCount, principal },
      memory,
      new ParentDisk(options.diskBytesMax ?? 1 << 30),
      vsock,
    );
    this.#instances.set(instanceId, parent);
    this.#trail.log.append('control-plane', 'instance.create', 'ok', { instanceId });
    this.sim.record('host.instance-created', { instanceId, memoryMiB: options.memoryMiB });
    return parent;
  }

  /**
   * nitro-cli run-enclave: carve vCPUs and memory out of the parent, measure the image, give the
   * enclave an NSM and a CID, and boot it. The parent-admin may launch any image, debug mode too.
   */
  launchEnclave(parent: ParentInstance, eif: Uint8Array, options: EnclaveLaunchOptions): EnclaveRecord {
    const debugMode = options.debugMode ?? false;
    this.#trail.log.append('parent-admin', 'enclave.launch', 'attempt', {
      instanceId: parent.instanceId,
      memoryMiB: options.memoryMiB,
      cpuCount: options.cpuCount,
      debugMode,
      eifBytes: eif.length,
    });
    try {
      const record = this.#launch(parent, eif, options, debugMode);
      this.#trail.log.append('parent-admin', 'enclave.launch', 'ok', { enclaveId: record.enclaveId, cid: record.cid });
      return record;
    } catch (error) {
      this.#trail.log.append('parent-admin', 'enclave.launch', 'error', { code: (error as EmuError).code ?? 'UNKNOWN' });
      throw error;
    }
  }

  /**
   * Raw NSM requests for an enclave, as its own code would make them. This is the harness's door
   * (the `attest` command, tests); no principal's handle leads here — a parent that could ask the
   * NSM for a document over its own key would defeat attestation.
   */
  nsmRequestFor(enclaveId: string, request: Uint8Array): Uint8Array {
    const nsm = this.#nsms.get(enclaveId);
    if (nsm === undefined) throw new EmuError('HV_NO_SUCH_ENCLAVE', `no running enclave ${enclaveId}`);
    return nsm.request(request);
  }

  /**
   * Stops an enclave, scrubs its pages, and only then gives them back to the parent (INV-SCRUB). An
   * operator's kill on a host built without `noCrashDumps` first writes a core dump to the parent's disk.
   */
  terminateEnclave(enclaveId: string, actor: string): void {
    const record = this.enclave(enclaveId);
    // The operator's own actions are audited by `operatorAction`, or not at all on a host built so.
    const audit = (outcome: 'attempt' | 'ok' | 'error', details: Record<string, TraceValue>) => {
      if (actor !== 'operator' || this.#trail.operatorAudited) this.#trail.log.append(actor, 'enclave.terminate', outcome, details);
    };
    audit('attempt', { enclaveId });
    if (record.state === 'terminated') {
      audit('error', { code: 'HV_ALREADY_TERMINATED' });
      throw new EmuError('HV_ALREADY_TERMINATED', `${enclaveId} is already terminated`);
    }
    record.runtime.terminate();
    // Its devices are reset before anything else may be assigned them (teardown, DESIGN.md §1 step 11).
    for (const deviceId of this.#devices.assignedTo(enclaveId)) this.#devices.release(deviceId, actor, actor !== 'operator' || this.#trail.operatorAudited);
    if (actor === 'operator' && !this.defences.noCrashDumps) writeCoreDump(this.sim, this.memory, record);
    record.parent.vsock.detach(record.cid);
    if (this.defences.scrubOnRelease) this.memory.scrub(record.frames);
    this.memory.retag(record.frames, `instance:${record.parent.instanceId}`);
    record.parent.freeCpus += record.cpuCount;
    record.state = 'terminated';
    this.#enclaves.delete(enclaveId);
    this.#nsms.delete(enclaveId);
    this.#vcpus.delete(enclaveId);
    this.#released.push(Object.freeze({ enclaveId, frames: Object.freeze([...record.frames]), scrubbed: this.defences.scrubOnRelease }));
    audit('ok', { enclaveId, scrubbed: this.defences.scrubOnRelease });
    this.sim.record('host.enclave-terminated', { enclaveId, scrubbed: this.defences.scrubOnRelease });
  }

  /** The accelerators in this host's PCIe slots and their assignments (management-plane facts only). */
  get devices(): readonly InstalledDeviceInfo[] {
    return this.#devices.installed;
  }

  /** Puts a device in a free PCIe slot (audited as an operator action); the controller then trusts its vendor root. */
  installAccelerator(device: AcceleratorDevice, options: AcceleratorInstallOptions): InstalledDeviceInfo {
    return this.#devices.install(device, options);
  }

  /** Binds a device to one running enclave (audited); HOST_DEVICE_ASSIGNED while another holds it. */
  assignDevice(deviceId: string, enclaveId: string): InstalledDeviceInfo {
    return this.#devices.assign(deviceId, enclaveId);
  }

  /** Unbinds a device, resetting (scrubbing) it first unless the host was built without `deviceResetOnReassign`. */
  releaseDevice(deviceId: string): ResetReport | null {
    return this.#devices.release(deviceId);
  }

  /** DEV-05: another device in the same slot, same bus address and assignment (audited as the operator's act). */
  swapDevice(deviceId: string, replacement: AcceleratorDevice): void {
    this.#devices.swap(deviceId, replacement);
  }

  /** The assigned enclave's port (HOST_DEVICE_NOT_ASSIGNED for any other enclave); its SPDM goes through the relay. */
  enclaveDevicePort(enclaveId: string, deviceId: string): EnclaveDevicePort {
    return this.#devices.enclavePort(enclaveId, deviceId);
  }

  /** The parent's hold on a device's SPDM mailbox relay (observe, drop, rewrite, replay). */
  deviceMailboxRelay(deviceId: string): DeviceMailboxRelay {
    return this.#devices.relay(deviceId);
  }

  /** The PCIe function the instance holds for a device assigned to one of its enclaves. */
  parentDeviceView(instanceId: string, deviceId: string): ParentDeviceView {
    return this.#devices.parentView(instanceId, deviceId);
  }

  /** A device's management plane (the operator API's door to it; all-ones and no counters in confidential mode). */
  deviceManagement(deviceId: string): DeviceManagementPlane {
    return this.#devices.management(deviceId);
  }

  /** What a device's DMA (or an operator-programmed engine behind it) reads in host memory, through the IOMMU. */
  deviceDma(deviceId: string, physicalAddress: number, length: number): Uint8Array {
    return dmaRead(this.#dmaContext(deviceId), physicalAddress, length);
  }

  deviceDmaWrite(deviceId: string, physicalAddress: number, bytes: Uint8Array): void {
    dmaWrite(this.#dmaContext(deviceId), physicalAddress, bytes);
  }

  #dmaContext(deviceId: string) {
    const instanceId = this.#devices.instanceOf(deviceId);
    return { memory: this.memory, sim: this.sim, deviceId, instanceId, enforce: this.defences.deviceIommu };
  }

  #launch(parent: ParentInstance, eif: Uint8Array, options: EnclaveLaunchOptions, debugMode: boolean): EnclaveRecord {
    if (parent.state !== 'running') throw new EmuError('HV_INSTANCE_STOPPED', `${parent.instanceId} is not running`);
    if (!Number.isInteger(options.cpuCount) || options.cpuCount < 1 || options.cpuCount > parent.freeCpus - 1) {
      throw new EmuError('HV_BAD_CPU_COUNT', `cannot carve ${options.cpuCount} vCPUs: the parent keeps at least one`);
    }
    const pagesWanted = (options.memoryMiB * 1024 * 1024) / PAGE_BYTES;
    if (!Number.isInteger(pagesWanted) || options.memoryMiB < 64) {
      throw new EmuError('HV_BAD_MEMORY', `enclave memory must be a whole number of MiB, at least 64`);
    }
    const image = loadEnclaveImage(eif);
    const cid = this.#pickCid(parent, options.cid ?? 0);
    const uid = BigInt(this.sim.nowMs) * 65536n + BigInt(this.sim.prng('host.enclave-ids').below(65536));
    const enclaveId = `${parent.instanceId}-enc${uid.toString(16)}`;
    const moduleId = `${parent.instanceId}-enc${uid.toString(16).padStart(16, '0')}`;

    // Carve the pages out of the parent's RAM: from the highest guest pages down, and retag them.
    const ramFrames = parent.memory.frames.slice(0, (parent.info.memoryMiB * 1024 * 1024) / PAGE_BYTES);
    const touchedFree = ramFrames.filter((f) => this.memory.ownerOf(f) === `instance:${parent.instanceId}`);
    if (touchedFree.length < pagesWanted + 1) throw new EmuError('HV_OUT_OF_MEMORY', `the parent has too little memory left`);
    const frames = touchedFree.slice(touchedFree.length - pagesWanted);
    this.memory.retag(frames, `enclave:${enclaveId}`);
    parent.freeCpus -= options.cpuCount;

    const pcrValues = measurePcrs(image, parent, debugMode);
    const nsm = new NsmDevice({
      moduleId,
      measured: pcrValues,
      issuer: this.nitro.issuerFor(parent.instanceId, moduleId),
      random: this.sim.prng(`nsm.${moduleId}`),
      lockEnforced: this.#nsmLockEnforced,
    });
    parent.vsock.attach(cid, options.principal ?? 'enclave');
    const registers = new VcpuRegisters();
    this.#vcpus.set(enclaveId, registers);
    const enclaveMemory = new AddressSpace(this.memory, `enclave:${enclaveId}`, frames, undefined, (bytes) => registers.moved(bytes));
    const runtime = new EnclaveRuntime({
      sim: this.sim,
      enclaveId,
      cid,
      appFiles: image.appFiles,
      entry: image.entry,
      nsm,
      vsock: parent.vsock,
      memory: enclaveMemory,
      counter: this.counters.counterFor(toHex(pcrValues.get(0)!)),
      devices: () => this.#devices.enclavePorts(enclaveId),
      console: (line) => {
        if (debugMode) this.#onConsole?.(enclaveId, line);
      },
    });
    const pcrs: Record<number, string> = {};
    for (const [index, value] of pcrValues) pcrs[index] = toHex(value);
    this.#nsms.set(enclaveId, nsm);
    const started = options.startApplication === false ? Promise.resolve() : runtime.boot();
    started.catch(() => undefined);
    const record: EnclaveRecord = {
      enclaveId,
      moduleId,
      name: options.name ?? image.imageName ?? enclaveId,
      cid,
      parent,
      debugMode,
      memoryMiB: options.memoryMiB,
      cpuCount: options.cpuCount,
      pcrs,
      image,
      frames,
      memory: enclaveMemory,
      runtime,
      started,
      state: 'running',
    };
    this.#enclaves.set(enclaveId, record);
    this.sim.record('host.enclave-launched', { enclaveId, cid, debugMode, pcr0: pcrs[0] ?? '' });
    return record;
  }

  #pickCid(parent: ParentInstance, requested: number): number {
    if (requested !== 0) {
      if (!Number.isInteger(requested) || requested <= VMADDR_CID_PARENT || requested > 0xffff_fffe) {
        throw new EmuError('HV_BAD_CID', `enclave CID ${requested} is reserved or out of range`);
      }
      if (parent.vsock.isAttached(requested)) throw new EmuError('HV_CID_IN_USE', `CID ${requested} is in use`);
      return requested;
    }
    for (let cid = 16; cid < 1 << 20; cid++) if (!parent.vsock.isAttached(cid)) return cid;
    throw new EmuError('HV_NO_FREE_CID', 'no free enclave CID');
  }
}
