import type { AcceleratorDevice, EnclaveDevicePort, ResetReport } from '../accelerator/index.ts';
import { EmuError, isEmuError } from '../errors.ts';
import type { AuditLog, Simulator, TraceValue } from '../sim/index.ts';
import type { HypervisorDefences } from './defences.ts';
import {
  type DeviceManagementPlane,
  type DeviceSlotAccess,
  type ParentDeviceView,
  createEnclaveDevicePort,
  createManagementPlane,
  createParentDeviceView,
} from './device-binding.ts';
import { MailboxRelay, type DeviceMailboxRelay } from './device-relay.ts';
import type { EnclaveRecord } from './host-types.ts';

/** PCIe slots of one host (a trn2/p5-class host has 16 or 8 accelerators); bounds the registry. */
export const DEVICE_SLOTS_MAX = 16;

export interface AcceleratorInstallOptions {
  /** DER of the vendor root the platform trusts for this device (the Nitro controller verifies against it). */
  readonly vendorRootDer: Uint8Array;
}

/** Management-plane facts about one slot: ids and assignment, never contents. */
export interface InstalledDeviceInfo {
  /** The id the device was installed and assigned under (what the slot is known by, even after a swap). */
  readonly deviceId: string;
  /** PCIe bus address, e.g. 0000:10:00.0. */
  readonly slot: string;
  readonly flavour: AcceleratorDevice['flavour'];
  readonly trustModel: AcceleratorDevice['trustModel'];
  readonly enclaveId: string | null;
  readonly instanceId: string | null;
}

interface SlotRecord {
  readonly deviceId: string;
  readonly slot: string;
  readonly vendorRootDer: Uint8Array;
  readonly relay: MailboxRelay;
  device: AcceleratorDevice;
  enclaveId: string | null;
  instanceId: string | null;
}

/** What the registry needs from its host. */
export interface DeviceHostContext {
  readonly sim: Simulator;
  readonly defences: HypervisorDefences;
  /** The host's audit log (a getter: a conventional host may have rebuilt it). */
  readonly log: () => AuditLog;
  readonly operatorAction: <T>(action: string, details: Record<string, TraceValue>, run: () => T) => T;
  readonly enclave: (enclaveId: string) => EnclaveRecord;
  /** The Nitro controller's endorsement of a device (platform-mediated flavour), over its private path. */
  readonly endorse: (device: AcceleratorDevice, nonce: Uint8Array) => Uint8Array;
  /** The vendor root becomes one the Nitro controller verifies device evidence against. */
  readonly trustVendorRoot: (der: Uint8Array) => void;
}

/**
 * A reset whose staged firmware the boot ROM refused still scrubbed and ended every session (the old image keeps
 * running): for a release that is a completed reset, so teardown never stops halfway because of someone's bad image.
 */
function resetRefusingNothing(device: AcceleratorDevice): ResetReport {
  try {
    return device.reset();
  } catch (error) {
    const report = isEmuError(error, 'DEV_BOOT_REFUSED') ? (error.details?.['report'] as ResetReport | undefined) : undefined;
    if (report === undefined) throw error;
    return report;
  }
}

function codeOf(error: unknown): string {
  return (error as EmuError).code ?? 'UNKNOWN';
}

/**
 * The host's accelerators: which PCIe slot holds which device, and which enclave (through which instance) each is
 * assigned to. A device is assigned to at most one enclave; only that enclave's port reaches it as 'enclave', and
 * only that enclave's parent instance holds its PCIe function (the parent view). Release resets the device before
 * it can be assigned again (INV-SCRUB for device memory), unless the host was built without that defence.
 */
export class HostDevices {
  readonly #context: DeviceHostContext;
  readonly #slots = new Map<string, SlotRecord>();

  constructor(context: DeviceHostContext) {
    this.#context = context;
  }

  get installed(): readonly InstalledDeviceInfo[] {
    return [...this.#slots.values()].map((r) => this.#info(r));
  }

  info(deviceId: string): InstalledDeviceInfo {
    return this.#info(this.#record(deviceId));
  }

  /** The device in a slot now (after a swap: the replacement). Harness and management plane only. */
  device(deviceId: string): AcceleratorDevice {
    return this.#record(deviceId).device;
  }

  install(device: AcceleratorDevice, options: AcceleratorInstallOptions): InstalledDeviceInfo {
    const details = { deviceId: device.deviceId, flavour: device.flavour };
    return this.#context.operatorAction('devices.install', details, () => {
      if (this.#slots.has(device.deviceId)) throw new EmuError('HOST_DEVICE_EXISTS', `device ${device.deviceId} is already installed`);
      if (this.#slots.size >= DEVICE_SLOTS_MAX) throw new EmuError('HOST_NO_FREE_SLOT', `the host has only ${DEVICE_SLOTS_MAX} PCIe slots`);
      if (!(options.vendorRootDer instanceof Uint8Array) || options.vendorRootDer.length === 0) {
        throw new EmuError('HOST_BAD_VENDOR_ROOT', 'installing a device needs the DER of its vendor root');
      }
      const slot = `0000:${(0x10 + this.#slots.size).toString(16).padStart(2, '0')}:00.0`;
      const record: SlotRecord = {
        deviceId: device.deviceId,
        slot,
        vendorRootDer: options.vendorRootDer.slice(),
        // The relay reaches whatever device sits in the slot when a message arrives.
        relay: new MailboxRelay(device.deviceId, (request) => record.device.spdm(request)),
        device,
        enclaveId: null,
        instanceId: null,
      };
      this.#context.trustVendorRoot(record.vendorRootDer);
      this.#slots.set(device.deviceId, record);
      this.#context.sim.record('host.device-installed', { deviceId: device.deviceId, slot, flavour: device.flavour });
      return this.#info(record);
    });
  }

  assign(deviceId: string, enclaveId: string): InstalledDeviceInfo {
    return this.#controlPlane('device.assign', { deviceId, enclaveId }, () => {
      const record = this.#record(deviceId);
      const enclave = this.#context.enclave(enclaveId);
      if (enclave.state !== 'running') throw new EmuError('HV_NO_SUCH_ENCLAVE', `${enclaveId} is not running`);
      if (record.enclaveId !== null) {
        throw new EmuError('HOST_DEVICE_ASSIGNED', `device ${deviceId} is already assigned to ${record.enclaveId}`, { deviceId, enclaveId: record.enclaveId });
      }
      record.enclaveId = enclave.enclaveId;
      record.instanceId = enclave.parent.instanceId;
      this.#context.sim.record('host.device-assigned', { deviceId, enclaveId, slot: record.slot });
      return this.#info(record);
    });
  }

  /**
   * Ends an assignment: the device is reset (scrubbed, keys wiped, sessions ended) before anyone may assign it
   * again. With `deviceResetOnReassign` off it keeps whatever it held (the CT-03/OP-10 negative control).
   */
  release(deviceId: string, actor = 'control-plane', audited = true): ResetReport | null {
    return this.#controlPlane('device.release', { deviceId }, () => {
      const record = this.#record(deviceId);
      if (record.enclaveId === null) throw new EmuError('HOST_DEVICE_NOT_ASSIGNED', `device ${deviceId} is not assigned`, { deviceId });
      const report = this.#context.defences.deviceResetOnReassign ? resetRefusingNothing(record.device) : null;
      const enclaveId = record.enclaveId;
      record.enclaveId = null;
      record.instanceId = null;
      this.#context.sim.record('host.device-released', { deviceId, enclaveId, reset: report !== null, scrubbedPages: report?.scrubbedPages ?? 0 });
      return report;
    }, actor, audited);
  }

  /** Every device assigned to an enclave (at its termination they are all released). */
  assignedTo(enclaveId: string): string[] {
    return [...this.#slots.values()].filter((r) => r.enclaveId === enclaveId).map((r) => r.deviceId);
  }

  /**
   * DEV-05, the operator's (or a physical attacker's) swap: another device in the same slot, under the same bus
   * address and assignment. Nothing on the host stops it; the enclave's session keys are what the replacement lacks.
   */
  swap(deviceId: string, replacement: AcceleratorDevice): void {
    this.#context.operatorAction('devices.swap', { deviceId, replacementId: replacement.deviceId }, () => {
      const record = this.#record(deviceId);
      record.device = replacement;
      this.#context.sim.record('host.device-swapped', { deviceId, replacementId: replacement.deviceId, slot: record.slot });
    });
  }

  relay(deviceId: string): DeviceMailboxRelay {
    return this.#record(deviceId).relay;
  }

  /** The port the hypervisor hands the enclave the device is assigned to; anyone else gets HOST_DEVICE_NOT_ASSIGNED. */
  enclavePort(enclaveId: string, deviceId: string): EnclaveDevicePort {
    const record = this.#record(deviceId);
    this.#checkEnclave(record, enclaveId);
    return createEnclaveDevicePort(this.#access(record, () => this.#checkEnclave(record, enclaveId)), {
      spdm: (request) => {
        this.#checkEnclave(record, enclaveId);
        return record.relay.carry(request);
      },
      endorse: (nonce) => {
        this.#checkEnclave(record, enclaveId);
        return this.#context.endorse(record.device, nonce);
      },
    });
  }

  /** The ports of every device assigned to an enclave, in slot order (what its runtime's accelerator ABI sees). */
  enclavePorts(enclaveId: string): EnclaveDevicePort[] {
    return this.assignedTo(enclaveId).map((deviceId) => this.enclavePort(enclaveId, deviceId));
  }

  /** The PCIe function as the parent instance holds it: host-visible buffers and the management plane only. */
  parentView(instanceId: string, deviceId: string): ParentDeviceView {
    const record = this.#record(deviceId);
    this.#checkInstance(record, instanceId);
    return createParentDeviceView(this.#access(record, () => this.#checkInstance(record, instanceId)), record.slot);
  }

  /** The management plane of whatever device sits in the slot (the operator API's door; firewalled in confidential mode). */
  management(deviceId: string): DeviceManagementPlane {
    const record = this.#record(deviceId);
    return createManagementPlane(this.#access(record, () => undefined));
  }

  /** The instance an assigned device's DMA is confined to (null while unassigned). */
  instanceOf(deviceId: string): string | null {
    return this.#record(deviceId).instanceId;
  }

  #access(record: SlotRecord, check: () => void): DeviceSlotAccess {
    return {
      deviceId: record.deviceId,
      current: () => {
        check();
        return record.device;
      },
    };
  }

  #checkEnclave(record: SlotRecord, enclaveId: string): void {
    if (record.enclaveId !== enclaveId) {
      throw new EmuError('HOST_DEVICE_NOT_ASSIGNED', `device ${record.deviceId} is not assigned to ${enclaveId}`, { deviceId: record.deviceId, enclaveId });
    }
  }

  #checkInstance(record: SlotRecord, instanceId: string): void {
    if (record.instanceId !== instanceId) {
      throw new EmuError('HOST_DEVICE_NOT_ASSIGNED', `device ${record.deviceId} is not assigned through ${instanceId}`, { deviceId: record.deviceId, instanceId });
    }
  }

  #record(deviceId: string): SlotRecord {
    const record = this.#slots.get(deviceId);
    if (record === undefined) throw new EmuError('HOST_NO_SUCH_DEVICE', `no device ${deviceId} on this host`, { deviceId });
    return record;
  }

  #info(record: SlotRecord): InstalledDeviceInfo {
    return Object.freeze({
      deviceId: record.deviceId,
      slot: record.slot,
      flavour: record.device.flavour,
      trustModel: record.device.trustModel,
      enclaveId: record.enclaveId,
      instanceId: record.instanceId,
    });
  }

  /** Control-plane actions are in the host's log before they act, like instance placement. */
  #controlPlane<T>(action: string, details: Record<string, TraceValue>, run: () => T, actor = 'control-plane', audited = true): T {
    const log = audited ? this.#context.log() : undefined;
    log?.append(actor, action, 'attempt', details);
    try {
      const result = run();
      log?.append(actor, action, 'ok', details);
      return result;
    } catch (error) {
      log?.append(actor, action, 'error', { ...details, code: codeOf(error) });
      throw error;
    }
  }
}
