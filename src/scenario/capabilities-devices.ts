// The accelerator capabilities of the attacker handles (DEV group, OP-03/09/10, PA-17, CT-03). Like every other
// capability, each byte a call returns is filed in the attacker's ledger before the scenario sees it.
import type { AcceleratorDevice } from '../accelerator/index.ts';
import { EmuError } from '../errors.ts';
import type { ParentInstance } from '../hypervisor/index.ts';
import type { World } from '../world/index.ts';
import type { InstanceDeviceHandle, OperatorHandle } from './define.ts';
import type { Principal } from './principals.ts';

type Ledgered = <T>(channel: string, call: () => T, toBytes: (value: T) => Uint8Array | string | undefined) => T;

/** The device object now in a slot, for the few management-plane acts the host API does not offer (firmware, mode). */
function slotDevice(world: World, deviceId: string): AcceleratorDevice {
  const device = world.accelerators.find((d) => d.deviceId === deviceId);
  if (device === undefined) throw new EmuError('HOST_NO_SUCH_DEVICE', `no device ${deviceId} on this host`, { deviceId });
  return device;
}

const json = (value: unknown) => JSON.stringify(value);

/** The PCIe functions an instance holds: only devices assigned through it answer (HOST_DEVICE_NOT_ASSIGNED otherwise). */
export function instanceDeviceHandle(world: World, instance: ParentInstance, principal: Principal, ledgered: Ledgered): InstanceDeviceHandle {
  const view = (deviceId: string) => world.host.parentDeviceView(instance.instanceId, deviceId);
  const short = (deviceId: string) => deviceId.slice(0, 8);
  return {
    ids: () => world.host.devices.filter((d) => d.instanceId === instance.instanceId).map((d) => d.deviceId),
    readStaging: (deviceId, slot) => ledgered(`device ${short(deviceId)} staging-read ${slot}`, () => view(deviceId).staging.read(slot), (b) => b),
    writeStaging: (deviceId, slot, bytes) => ledgered(`device ${short(deviceId)} staging-write`, () => view(deviceId).staging.write(slot, bytes), () => undefined),
    watchStaging: (deviceId, watcher) => {
      view(deviceId); // only a device assigned through this instance has its staging in this instance's memory
      const device = slotDevice(world, deviceId);
      if (device.staging.watch === undefined) throw new EmuError('HOST_NO_SUCH_DEVICE', `device ${deviceId} has no host-visible staging`);
      // The world files every staging write under the parent-admin; another instance's admin files what it watches itself.
      device.staging.watch((slot, bytes) => {
        if (principal !== 'parent-admin') world.observe(principal, `device ${short(deviceId)} staging ${slot}`, bytes);
        watcher(slot, bytes);
      });
    },
    submit: (deviceId, descriptor) => ledgered(`device ${short(deviceId)} submit`, () => view(deviceId).submit(descriptor), () => undefined),
    doorbell: (deviceId) => ledgered(`device ${short(deviceId)} doorbell`, () => view(deviceId).doorbell(), (n) => String(n)),
    barRead: (deviceId, address, length) => ledgered(`device ${short(deviceId)} BAR read`, () => view(deviceId).mgmtRead(address, length), (b) => b),
    perfCounters: (deviceId) => ledgered(`device ${short(deviceId)} perf counters`, () => view(deviceId).perfCounters(), json),
    setPendingMode: (deviceId, mode) => ledgered(`device ${short(deviceId)} set-mode`, () => view(deviceId).setPendingMode(mode), () => undefined),
    reset: (deviceId) => ledgered(`device ${short(deviceId)} reset`, () => view(deviceId).reset(), json),
  };
}

/** The operator's accelerator calls: the host's operator API, plus the management-plane and physical acts it owns. */
export function operatorDeviceCalls(world: World, op: Ledgered): Partial<OperatorHandle> {
  const api = world.host.operator;
  const audited = <T>(action: string, details: Record<string, string | number>, run: () => T) => world.host.operatorAction(action, details, run);
  return {
    listDevices: () => op('listDevices', () => api.listDevices(), json),
    readDeviceMemory: (deviceId, address, length) => op('readDeviceMemory', () => api.readDeviceMemory(deviceId, address, length), (b) => b),
    devicePerfCounters: (deviceId) => op('devicePerfCounters', () => api.devicePerfCounters(deviceId), json),
    resetDevice: (deviceId) => op('resetDevice', () => api.resetDevice(deviceId), json),
    stageDeviceFirmware: (deviceId, image) =>
      op('stageDeviceFirmware', () => audited('devices.stage-firmware', { deviceId, version: image.version }, () => slotDevice(world, deviceId).stageFirmware(image)), () => undefined),
    setDevicePendingMode: (deviceId, mode) =>
      op('setDevicePendingMode', () => audited('devices.set-mode', { deviceId, mode }, () => slotDevice(world, deviceId).setPendingMode(mode)), () => undefined),
    deviceDma: (deviceId, physicalAddress, length) =>
      op('deviceDma', () => audited('devices.dma', { deviceId, physicalAddress, length }, () => world.host.deviceDma(deviceId, physicalAddress, length)), (b) => b),
    swapDevice: (deviceId, replacement) => op('swapDevice', () => world.host.swapDevice(deviceId, replacement), () => undefined),
    watchDeviceBus: (deviceId, observer) => {
      const relay = world.host.deviceMailboxRelay(deviceId);
      const before = relay.observe;
      relay.observe = (message) => {
        before?.(message);
        world.observe('operator', `operator bus analyser ${deviceId.slice(0, 8)} ${message.direction}`, message.bytes);
        observer(message.direction, message.bytes.slice());
      };
    },
    installDevice: (device, vendorRootDer) => op('installDevice', () => world.host.installAccelerator(device, { vendorRootDer }), json),
  };
}
