import { describe, expect, it } from 'vitest';
import { CANARY, deviceHost, plainCopyIn } from './device-helpers.ts';

/** The next tenant of a released device reads its memory (CT-03, OP-10); the device runs with mode off so reads show plaintext. */
function reassigned(off: { deviceResetOnReassign?: boolean }) {
  const setup = deviceHost({ off });
  const { host, enclave, otherEnclave, coTenant, makeDevice, vendor } = setup;
  const device = makeDevice(1, 'off');
  host.installAccelerator(device, { vendorRootDer: vendor.rootDer });
  host.assignDevice(device.deviceId, enclave.enclaveId);
  plainCopyIn(host, enclave.enclaveId, device.deviceId, CANARY);
  const report = host.releaseDevice(device.deviceId);
  host.assignDevice(device.deviceId, otherEnclave.enclaveId);
  const nextTenant = host.parentDeviceView(coTenant.instanceId, device.deviceId);
  return { ...setup, device, report, leftover: nextTenant.mgmtRead(0, CANARY.length) };
}

describe('release resets the device before reassignment (CT-03, OP-10)', () => {
  it('scrubs: the next tenant reads zeros', () => {
    const { report, leftover, host } = reassigned({});
    expect(report).toMatchObject({ verified: true, mode: 'off' });
    expect(report!.scrubbedPages).toBeGreaterThan(0);
    expect(leftover).toEqual(new Uint8Array(CANARY.length));
    expect(host.audit.entries.some((e) => e.action === 'device.release' && e.outcome === 'attempt')).toBe(true);
  });

  it('control: with deviceResetOnReassign off, the next tenant reads the canary', () => {
    const { report, leftover } = reassigned({ deviceResetOnReassign: false });
    expect(report).toBeNull();
    expect(leftover).toEqual(CANARY);
  });
});

describe('release during teardown', () => {
  it('completes even when the staged firmware is refused at the reset: the scrub happened, the old image runs', () => {
    const { host, enclave, otherEnclave, coTenant, makeDevice, vendor } = deviceHost();
    const device = makeDevice(1, 'off');
    host.installAccelerator(device, { vendorRootDer: vendor.rootDer });
    host.assignDevice(device.deviceId, enclave.enclaveId);
    plainCopyIn(host, enclave.enclaveId, device.deviceId, CANARY);
    device.stageFirmware(vendor.firmware.vulnerable);
    const report = host.releaseDevice(device.deviceId);
    expect(report!.scrubbedPages).toBeGreaterThan(0);
    expect(device.firmware().version).toBe(vendor.firmware.current.version);
    expect(device.drainEvents().map((e) => e.kind)).toContain('BOOT_REFUSED');
    host.assignDevice(device.deviceId, otherEnclave.enclaveId);
    expect(host.parentDeviceView(coTenant.instanceId, device.deviceId).mgmtRead(0, CANARY.length)).toEqual(new Uint8Array(CANARY.length));
  });

  it("an operator's kill releases the enclave's devices; audited like the kill itself", () => {
    for (const auditBeforeEffect of [true, false]) {
      const { host, enclave, device } = deviceHost({ off: { auditBeforeEffect } });
      host.assignDevice(device.deviceId, enclave.enclaveId);
      host.operator.killEnclave(enclave.enclaveId);
      expect(host.devices[0]!.enclaveId).toBeNull();
      const logged = host.audit.entries.some((e) => e.action === 'device.release');
      expect(logged, `auditBeforeEffect ${auditBeforeEffect}`).toBe(auditBeforeEffect);
    }
  });
});
