import type {
  AcceleratorDevice,
  Completion,
  Descriptor,
  DeviceMode,
  EnclaveDevicePort,
  FirmwareStatus,
  HostVisibleSlots,
  ResetReport,
  SpdmTransport,
} from '../accelerator/index.ts';

/**
 * The two handles on one assigned device. The enclave's port speaks to the device as 'enclave' (the binding gives
 * the session to the enclave); the parent's view is the PCIe function its instance holds: host-visible buffers,
 * the doorbell as 'parent' (which a confidential device refuses), and the management plane. Both look the device up
 * on every call, so a release or a swap takes effect at once.
 */

/** How a handle reaches the device in its slot; `current` throws HOST_DEVICE_NOT_ASSIGNED once the binding is gone. */
export interface DeviceSlotAccess {
  readonly deviceId: string;
  current(): AcceleratorDevice;
}

function slotsOf(pick: () => HostVisibleSlots): HostVisibleSlots {
  return Object.freeze({
    get slotsMax() {
      return pick().slotsMax;
    },
    get slotBytesMax() {
      return pick().slotBytesMax;
    },
    read: (slot: number) => pick().read(slot),
    write: (slot: number, bytes: Uint8Array, origin?: Parameters<HostVisibleSlots['write']>[2]) => pick().write(slot, bytes, origin),
  });
}

export function createEnclaveDevicePort(
  access: DeviceSlotAccess,
  paths: { readonly spdm: SpdmTransport; readonly endorse: (nonce: Uint8Array) => Uint8Array },
): EnclaveDevicePort {
  const device = access.current();
  const port: EnclaveDevicePort = {
    deviceId: access.deviceId,
    flavour: device.flavour,
    trustModel: device.trustModel,
    spdm: paths.spdm,
    staging: slotsOf(() => access.current().staging),
    submit: (descriptor: Descriptor) => access.current().submit('enclave', descriptor),
    doorbell: () => access.current().doorbell('enclave'),
    poll: (): Completion[] => access.current().pollCompletions(),
    // Only the platform-mediated flavour has one: an spdm-direct device is attested by the enclave itself.
    ...(device.trustModel === 'platform-mediated-assumed' ? { endorsement: paths.endorse } : {}),
  };
  return Object.freeze(port);
}

/** What the parent instance's PCIe function reaches. Everything it returns is the parent-admin's to see. */
export interface ParentDeviceView {
  readonly deviceId: string;
  /** PCIe bus address. */
  readonly slot: string;
  /** Staging (bounce) buffers: ciphertext and tags only, while the device is confidential. */
  readonly staging: HostVisibleSlots;
  /** Peer-link slots: sealed frames only, while the device is confidential. */
  readonly link: HostVisibleSlots;
  /** Work as 'parent': a confidential device refuses it (PA-17). */
  submit(descriptor: Descriptor): void;
  doorbell(): number;
  /** BAR read: all-ones in confidential mode (OP-09). */
  mgmtRead(address: number, length: number): Uint8Array;
  perfCounters(): Readonly<Record<string, number>> | null;
  /** Takes effect only at the next reset, which scrubs and ends every session. */
  setPendingMode(mode: DeviceMode): void;
  /** Function-level reset: scrub, wipe keys, end sessions. */
  reset(): ResetReport;
  status(): DeviceSlotStatus;
}

export interface DeviceSlotStatus {
  readonly mode: DeviceMode;
  readonly pendingMode: DeviceMode;
  readonly epoch: number;
  readonly isReady: boolean;
  readonly firmware: FirmwareStatus;
  readonly busyNs: number;
}

/** The device's management plane alone, as the operator reaches it: no staging, no doorbell, no mailbox. */
export interface DeviceManagementPlane {
  readonly deviceId: string;
  mgmtRead(address: number, length: number): Uint8Array;
  perfCounters(): Readonly<Record<string, number>> | null;
  reset(): ResetReport;
  status(): DeviceSlotStatus;
}

export function createManagementPlane(access: DeviceSlotAccess): DeviceManagementPlane {
  return Object.freeze({
    deviceId: access.deviceId,
    mgmtRead: (address: number, length: number) => access.current().mgmtRead(address, length),
    perfCounters: () => access.current().perfCounters(),
    reset: () => access.current().reset(),
    status: () => deviceStatus(access.current()),
  });
}

export function createParentDeviceView(access: DeviceSlotAccess, slot: string): ParentDeviceView {
  return Object.freeze({
    deviceId: access.deviceId,
    slot,
    staging: slotsOf(() => access.current().staging),
    link: slotsOf(() => access.current().link),
    submit: (descriptor: Descriptor) => access.current().submit('parent', descriptor),
    doorbell: () => access.current().doorbell('parent'),
    mgmtRead: (address: number, length: number) => access.current().mgmtRead(address, length),
    perfCounters: () => access.current().perfCounters(),
    setPendingMode: (mode: DeviceMode) => access.current().setPendingMode(mode),
    reset: () => access.current().reset(),
    status: () => deviceStatus(access.current()),
  });
}

export function deviceStatus(device: AcceleratorDevice): DeviceSlotStatus {
  return Object.freeze({
    mode: device.mode,
    pendingMode: device.pendingMode,
    epoch: device.epoch,
    isReady: device.isReady,
    firmware: device.firmware(),
    busyNs: device.busyNs,
  });
}
