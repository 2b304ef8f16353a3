import { describe, expect, it } from 'vitest';
import { PAGE_BYTES } from '../../src/hypervisor/index.ts';
import { expectCode } from '../helpers/errors.ts';
import { CANARY, deviceHost } from './device-helpers.ts';

describe('the IOMMU (OP-03, DEV-04)', () => {
  it("confines an assigned device's DMA to its instance's frames", () => {
    const { host, parent, enclave, coTenant, device } = deviceHost();
    host.assignDevice(device.deviceId, enclave.enclaveId);
    parent.memory.write(PAGE_BYTES * 3 + 100, CANARY);
    const bounce = parent.memory.frames[3]! * PAGE_BYTES + 100;
    expect(host.deviceDma(device.deviceId, bounce, CANARY.length)).toEqual(CANARY);

    enclave.memory.write(0, CANARY);
    const enclaveAddress = enclave.frames[0]! * PAGE_BYTES;
    expectCode(() => host.deviceDma(device.deviceId, enclaveAddress, CANARY.length), 'HOST_IOMMU_FAULT');
    coTenant.memory.write(0, CANARY);
    expectCode(() => host.deviceDma(device.deviceId, coTenant.memory.frames[0]! * PAGE_BYTES, CANARY.length), 'HOST_IOMMU_FAULT');
    expectCode(() => host.deviceDmaWrite(device.deviceId, enclaveAddress, new Uint8Array(8)), 'HOST_IOMMU_FAULT');
    expect(enclave.memory.read(0, CANARY.length)).toEqual(CANARY);
  });

  it('an unassigned device reaches nothing', () => {
    const { host, parent, device } = deviceHost();
    expectCode(() => host.deviceDma(device.deviceId, parent.memory.frames[0]! * PAGE_BYTES, 16), 'HOST_IOMMU_FAULT');
  });

  it('a DMA that crosses into a forbidden frame moves no byte, even of the allowed part', () => {
    const { host, parent, enclave, device } = deviceHost();
    host.assignDevice(device.deviceId, enclave.enclaveId);
    const firstEnclaveFrame = enclave.frames[0]!;
    const page = parent.memory.frames.indexOf(firstEnclaveFrame - 1);
    expect(page).toBeGreaterThan(-1);
    const address = firstEnclaveFrame * PAGE_BYTES - 8;
    expectCode(() => host.deviceDmaWrite(device.deviceId, address, new Uint8Array(16).fill(0xaa)), 'HOST_IOMMU_FAULT');
    expect(parent.memory.read(page * PAGE_BYTES + PAGE_BYTES - 8, 8)).toEqual(new Uint8Array(8));
    expectCode(() => host.deviceDma(device.deviceId, 0, (1 << 20) + 1), 'HOST_DMA_BAD_REQUEST');
  });

  it('control: with deviceIommu off, the same DMA returns enclave and co-tenant bytes', () => {
    const { host, enclave, coTenant, device } = deviceHost({ off: { deviceIommu: false } });
    host.assignDevice(device.deviceId, enclave.enclaveId);
    enclave.memory.write(0, CANARY);
    expect(host.deviceDma(device.deviceId, enclave.frames[0]! * PAGE_BYTES, CANARY.length)).toEqual(CANARY);
    coTenant.memory.write(64, CANARY);
    expect(host.deviceDma(device.deviceId, coTenant.memory.frames[0]! * PAGE_BYTES + 64, CANARY.length)).toEqual(CANARY);
  });
});
