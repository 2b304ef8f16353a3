import { describe, expect, it } from 'vitest';
import { expectCode } from '../helpers/errors.ts';
import { CANARY, deviceHost, plainCopyIn } from './device-helpers.ts';

describe('accelerator assignment', () => {
  it('installs into a PCIe slot and assigns to one enclave, both audited before they act', () => {
    const { host, enclave, device } = deviceHost();
    expect(host.devices).toEqual([
      { deviceId: device.deviceId, slot: '0000:10:00.0', flavour: 'gpu', trustModel: 'spdm-direct', enclaveId: null, instanceId: null },
    ]);
    const info = host.assignDevice(device.deviceId, enclave.enclaveId);
    expect(info).toMatchObject({ enclaveId: enclave.enclaveId, instanceId: enclave.parent.instanceId });
    const log = host.audit.entries.map((e) => `${e.actor}:${e.action}:${e.outcome}`);
    expect(log).toContain('operator:devices.install:attempt');
    const attempt = log.indexOf('control-plane:device.assign:attempt');
    expect(attempt).toBeGreaterThan(-1);
    expect(log[attempt + 1]).toBe('control-plane:device.assign:ok');
    expect(host.effects.map((e) => e.action)).toContain('devices.install');
  });

  it('refuses a second install of the same device and a second assignment, changing nothing', () => {
    const { host, enclave, otherEnclave, device, vendor } = deviceHost();
    expectCode(() => host.installAccelerator(device, { vendorRootDer: vendor.rootDer }), 'HOST_DEVICE_EXISTS');
    host.assignDevice(device.deviceId, enclave.enclaveId);
    expectCode(() => host.assignDevice(device.deviceId, otherEnclave.enclaveId), 'HOST_DEVICE_ASSIGNED');
    expectCode(() => host.assignDevice(device.deviceId, enclave.enclaveId), 'HOST_DEVICE_ASSIGNED');
    expect(host.devices[0]!.enclaveId).toBe(enclave.enclaveId);
    expect(host.audit.entries.at(-1)).toMatchObject({ action: 'device.assign', outcome: 'error', details: { code: 'HOST_DEVICE_ASSIGNED' } });
    expectCode(() => host.assignDevice('feedface', enclave.enclaveId), 'HOST_NO_SUCH_DEVICE');
  });

  it('gives the port only to the enclave the device is assigned to, and takes it back at release', () => {
    const { host, enclave, otherEnclave, device } = deviceHost();
    expectCode(() => host.enclaveDevicePort(enclave.enclaveId, device.deviceId), 'HOST_DEVICE_NOT_ASSIGNED');
    host.assignDevice(device.deviceId, enclave.enclaveId);
    expectCode(() => host.enclaveDevicePort(otherEnclave.enclaveId, device.deviceId), 'HOST_DEVICE_NOT_ASSIGNED');
    const port = host.enclaveDevicePort(enclave.enclaveId, device.deviceId);
    expect(port).toMatchObject({ deviceId: device.deviceId, flavour: 'gpu', trustModel: 'spdm-direct' });
    expect(port.endorsement).toBeUndefined();
    port.staging.write(1, CANARY);
    expect(device.staging.read(1)).toEqual(CANARY);
    host.releaseDevice(device.deviceId);
    expectCode(() => port.staging.read(1), 'HOST_DEVICE_NOT_ASSIGNED');
    expectCode(() => port.spdm(new Uint8Array([0x11, 0x84, 0, 0])), 'HOST_DEVICE_NOT_ASSIGNED');
    expectCode(() => host.releaseDevice(device.deviceId), 'HOST_DEVICE_NOT_ASSIGNED');
  });

  it('a platform-mediated (Trainium) port carries the endorsement call; the spdm-direct one does not', () => {
    const { host, enclave, device } = deviceHost({ flavour: 'trainium' });
    host.assignDevice(device.deviceId, enclave.enclaveId);
    const port = host.enclaveDevicePort(enclave.enclaveId, device.deviceId);
    expect(port.trustModel).toBe('platform-mediated-assumed');
    expect(typeof port.endorsement).toBe('function');
  });

  it('terminating the enclave releases (and resets) its devices, so another enclave can have it', () => {
    const { host, enclave, otherEnclave, makeDevice, vendor } = deviceHost();
    const plain = makeDevice(1, 'off');
    host.installAccelerator(plain, { vendorRootDer: vendor.rootDer });
    host.assignDevice(plain.deviceId, enclave.enclaveId);
    plainCopyIn(host, enclave.enclaveId, plain.deviceId, CANARY);
    host.terminateEnclave(enclave.enclaveId, 'parent-admin');
    expect(host.devices.find((d) => d.deviceId === plain.deviceId)?.enclaveId).toBeNull();
    expect(plain.mgmtRead(0, CANARY.length)).toEqual(new Uint8Array(CANARY.length));
    host.assignDevice(plain.deviceId, otherEnclave.enclaveId);
    expect(host.enclaveDevicePort(otherEnclave.enclaveId, plain.deviceId).deviceId).toBe(plain.deviceId);
  });
});
