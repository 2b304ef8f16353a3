import { type AcceleratorFlavour, type DeviceMode, type EmulatedAccelerator, createAcceleratorDevice, createVendor } from '../../src/accelerator/index.ts';
import { utf8 } from '../../src/crypto/index.ts';
import { defaultEnclaveImage } from '../../src/enclave/index.ts';
import { Host, NITRO_DEFENCES, type HypervisorDefences } from '../../src/hypervisor/index.ts';
import { Simulator } from '../../src/sim/index.ts';

export const image = defaultEnclaveImage();
export const CANARY = utf8('CANARY-DEVICE-WEIGHTS-0123456789');

/** A host with two instances (the customer's and a co-tenant's), one enclave in each, and one accelerator installed. */
export function deviceHost(options: { off?: Partial<HypervisorDefences>; mode?: DeviceMode; flavour?: AcceleratorFlavour; seed?: number } = {}) {
  const sim = new Simulator({ seed: options.seed ?? 11 });
  const host = new Host({ sim, memoryMiB: 1024, defences: { ...NITRO_DEFENCES, ...options.off } });
  const parent = host.createInstance({ roleArn: null, memoryMiB: 256, cpuCount: 4 });
  const coTenant = host.createInstance({ roleArn: null, memoryMiB: 256, cpuCount: 4, principal: 'co-tenant' });
  const enclave = host.launchEnclave(parent, image, { memoryMiB: 64, cpuCount: 1, startApplication: false });
  const otherEnclave = host.launchEnclave(coTenant, image, { memoryMiB: 64, cpuCount: 1, startApplication: false, principal: 'co-tenant' });
  const flavour = options.flavour ?? 'gpu';
  const vendor = createVendor(sim.prng(`test.vendor.${flavour}`), flavour);
  const makeDevice = (index: number, mode: DeviceMode = options.mode ?? 'confidential'): EmulatedAccelerator =>
    createAcceleratorDevice({ vendor, flavour, random: sim.prng(`test.device.${index}`), index, mode, capacityBytes: 1 << 22, transferBytesMax: 4096 });
  const device = makeDevice(0);
  host.installAccelerator(device, { vendorRootDer: vendor.rootDer });
  return { sim, host, parent, coTenant, enclave, otherEnclave, vendor, device, makeDevice };
}

/** Puts `bytes` into device memory at 0 through a plain (mode off) device, as the enclave's port would. */
export function plainCopyIn(host: Host, enclaveId: string, deviceId: string, bytes: Uint8Array): void {
  const port = host.enclaveDevicePort(enclaveId, deviceId);
  port.staging.write(0, bytes);
  port.submit({ id: 1, op: 'copy-in', stagingSlot: 0, deviceAddress: 0, length: bytes.length });
  port.doorbell();
  const [completion] = port.poll();
  if (completion?.ok !== true) throw new Error(`copy-in failed: ${completion?.code}`);
}
