import { describe, expect, it } from 'vitest';
import { expectCode } from '../helpers/errors.ts';
import { CANARY, deviceHost, plainCopyIn } from './device-helpers.ts';

describe("the parent's view of an assigned device", () => {
  it('exists only for the instance the device is assigned through', () => {
    const { host, parent, coTenant, enclave, device } = deviceHost();
    expectCode(() => host.parentDeviceView(parent.instanceId, device.deviceId), 'HOST_DEVICE_NOT_ASSIGNED');
    host.assignDevice(device.deviceId, enclave.enclaveId);
    expectCode(() => host.parentDeviceView(coTenant.instanceId, device.deviceId), 'HOST_DEVICE_NOT_ASSIGNED');
    expect(host.parentDeviceView(parent.instanceId, device.deviceId).slot).toBe('0000:10:00.0');
  });

  it('in confidential mode: work from the parent is refused, BAR reads are all-ones, counters are off (PA-17, OP-09)', () => {
    const { host, parent, enclave, device } = deviceHost();
    host.assignDevice(device.deviceId, enclave.enclaveId);
    const view = host.parentDeviceView(parent.instanceId, device.deviceId);
    view.staging.write(0, CANARY);
    expectCode(() => view.submit({ id: 1, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: CANARY.length - 16 }), 'ACCEL_NOT_SESSION_HOLDER');
    expectCode(() => view.doorbell(), 'ACCEL_NOT_SESSION_HOLDER');
    expect(view.mgmtRead(0, 64)).toEqual(new Uint8Array(64).fill(0xff));
    expect(view.perfCounters()).toBeNull();
    expect(device.drainEvents().map((e) => e.kind)).toContain('FIREWALL_BLOCK');
    expect(view.status()).toMatchObject({ mode: 'confidential', isReady: false });
  });

  it('control: with the device in mode off, the same view reads what the enclave put in device memory', () => {
    const { host, parent, enclave, makeDevice, vendor } = deviceHost();
    const plain = makeDevice(1, 'off');
    host.installAccelerator(plain, { vendorRootDer: vendor.rootDer });
    host.assignDevice(plain.deviceId, enclave.enclaveId);
    plainCopyIn(host, enclave.enclaveId, plain.deviceId, CANARY);
    const view = host.parentDeviceView(parent.instanceId, plain.deviceId);
    expect(view.mgmtRead(0, CANARY.length)).toEqual(CANARY);
    expect(view.perfCounters()).not.toBeNull();
  });

  it('a pending mode waits for reset, and the reset scrubs what the device held', () => {
    const { host, parent, enclave, makeDevice, vendor } = deviceHost();
    const plain = makeDevice(1, 'off');
    host.installAccelerator(plain, { vendorRootDer: vendor.rootDer });
    host.assignDevice(plain.deviceId, enclave.enclaveId);
    plainCopyIn(host, enclave.enclaveId, plain.deviceId, CANARY);
    const view = host.parentDeviceView(parent.instanceId, plain.deviceId);
    view.setPendingMode('devtools');
    expect(view.status()).toMatchObject({ mode: 'off', pendingMode: 'devtools' });
    const report = view.reset();
    expect(report).toMatchObject({ mode: 'devtools', verified: true });
    expect(report.scrubbedPages).toBeGreaterThan(0);
    expect(view.mgmtRead(0, CANARY.length)).toEqual(new Uint8Array(CANARY.length));
  });
});

describe('the operator reaches devices only through the management plane (OP-09)', () => {
  it('reads all-ones and no counters from a confidential device, audited before each call', () => {
    const { host, device } = deviceHost();
    expect(host.operator.readDeviceMemory(device.deviceId, 0, 32)).toEqual(new Uint8Array(32).fill(0xff));
    expect(host.operator.devicePerfCounters(device.deviceId)).toBeNull();
    expect(host.operator.listDevices().map((d) => d.deviceId)).toEqual([device.deviceId]);
    const epoch = device.epoch;
    expect(host.operator.resetDevice(device.deviceId).epoch).toBe(epoch + 1);
    const actions = host.audit.entries.filter((e) => e.actor === 'operator' && e.outcome === 'attempt').map((e) => e.action);
    expect(actions).toEqual(['devices.install', 'devices.read-memory', 'devices.perf-counters', 'devices.list', 'devices.reset']);
  });

  it('control: a device left in mode off shows the operator its contents', () => {
    const { host, enclave, makeDevice, vendor } = deviceHost();
    const plain = makeDevice(1, 'off');
    host.installAccelerator(plain, { vendorRootDer: vendor.rootDer });
    host.assignDevice(plain.deviceId, enclave.enclaveId);
    plainCopyIn(host, enclave.enclaveId, plain.deviceId, CANARY);
    expect(host.operator.readDeviceMemory(plain.deviceId, 0, CANARY.length)).toEqual(CANARY);
  });
});
