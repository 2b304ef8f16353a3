import { describe, expect, it } from 'vitest';
import {
  type AcceleratorFlavour, type EmulatedAccelerator, connectPeers, createAcceleratorDevice, createAcceleratorDriver,
  createVendor, parseTransformerFile, referenceGenerate,
} from '../../src/accelerator/index.ts';
import { defaultEnclaveImage } from '../../src/enclave/index.ts';
import { Host, NITRO_DEFENCES } from '../../src/hypervisor/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { contains, expectCode, tinyModelFile, weightCanary } from './driver-helpers.ts';

/**
 * The driver on the real platform path: ports from the hypervisor binding, SPDM through the parent's mailbox relay,
 * the Trainium endorsement from the Nitro controller (chained to this host's emulated Nitro root).
 */
const image = defaultEnclaveImage();
const MEASUREMENTS = 0x60;
const PROMPT = [5, 6, 7];

function world(flavour: AcceleratorFlavour, devicesCount = 1) {
  const sim = new Simulator({ seed: 23 });
  const host = new Host({ sim, memoryMiB: 512, defences: NITRO_DEFENCES });
  const parent = host.createInstance({ roleArn: null, memoryMiB: 128, cpuCount: 2 });
  const enclave = host.launchEnclave(parent, image, { memoryMiB: 64, cpuCount: 1, startApplication: false });
  const vendor = createVendor(sim.prng(`driver-host.vendor.${flavour}`), flavour);
  const make = (index: number): EmulatedAccelerator =>
    createAcceleratorDevice({ vendor, flavour, random: sim.prng(`driver-host.device.${index}`), index, capacityBytes: 1 << 24, transferBytesMax: 8192 });
  const devices = Array.from({ length: devicesCount }, (_, i) => make(i));
  if (devicesCount === 2) connectPeers(devices[0]!, devices[1]!);
  for (const device of devices) {
    host.installAccelerator(device, { vendorRootDer: vendor.rootDer });
    host.assignDevice(device.deviceId, enclave.enclaveId);
  }
  const manifest = vendor.referenceManifest();
  const driver = createAcceleratorDriver({
    random: sim.prng('driver-host.driver'),
    policy: {
      vendorRootsDer: { [flavour]: vendor.rootDer },
      nitroRootDer: host.nitro.rootCertificateDer,
      minSvn: manifest.minSvn,
      requiredMode: 'confidential',
      referenceMeasurements: { [flavour]: manifest.measurements },
      atMs: sim.nowMs,
    },
    path: 'confidential',
  });
  const ports = devices.map((d) => host.enclaveDevicePort(enclave.enclaveId, d.deviceId));
  return { host, parent, devices, driver, ports, make };
}

describe('driver through the hypervisor binding', () => {
  for (const flavour of ['gpu', 'trainium'] as const) {
    it(`${flavour}: two assigned devices attest through the relay, and generation equals the reference; the parent saw no weights`, () => {
      const { host, parent, devices, driver, ports } = world(flavour, 2);
      const seen: Uint8Array[] = [];
      for (const d of devices) host.deviceMailboxRelay(d.deviceId).observe = (m) => seen.push(m.bytes);
      const attached = ports.map((p) => driver.attach(p));
      expect(attached.map((a) => a.verdict.label)).toEqual(flavour === 'gpu' ? ['published', 'published'] : ['assumed', 'assumed']);
      driver.formGroup(attached);
      const model = driver.loadModel(attached, tinyModelFile());
      const file = tinyModelFile();
      expect(driver.generate(model, PROMPT, 4).tokens).toEqual(referenceGenerate(parseTransformerFile(file), file, PROMPT, 4));
      expect(seen.length).toBeGreaterThan(0);
      const views = devices.map((d) => host.parentDeviceView(parent.instanceId, d.deviceId));
      for (const view of views) {
        for (let slot = 0; slot < view.staging.slotsMax; slot++) {
          let bytes: Uint8Array;
          try { bytes = view.staging.read(slot); } catch { continue; }
          expect(contains(bytes, weightCanary())).toBe(false);
        }
      }
      expect(seen.some((m) => contains(m, weightCanary()))).toBe(false);
    });
  }

  it('the parent rewrites one byte of the MEASUREMENTS response: refused, the device never becomes ready', () => {
    const { host, devices, driver, ports } = world('gpu');
    host.deviceMailboxRelay(devices[0]!.deviceId).rewrite = (direction, bytes) => {
      if (direction === 'to-enclave' && bytes[0] === 0x05 && bytes[2] === MEASUREMENTS) bytes[bytes.length - 120]! ^= 0x01;
      return bytes;
    };
    expectCode(() => driver.attach(ports[0]!), 'DEVICE_SIGNATURE_INVALID');
    expect(devices[0]!.isReady).toBe(false);
  });

  it('DEV-05: the operator swaps the device in its slot after the report; KEY_EXCHANGE fails. After attach, the replacement refuses the work', () => {
    const first = world('gpu');
    const replacement = first.make(5);
    first.host.deviceMailboxRelay(first.devices[0]!.deviceId).observe = (m) => {
      if (m.direction === 'to-enclave' && m.bytes[0] === 0x05 && m.bytes[2] === MEASUREMENTS) first.host.swapDevice(first.devices[0]!.deviceId, replacement);
    };
    expectCode(() => first.driver.attach(first.ports[0]!), 'DEVICE_SESSION_FAILED');
    expect(replacement.isReady).toBe(false);

    const second = world('gpu');
    const attached = second.driver.attach(second.ports[0]!);
    second.host.swapDevice(second.devices[0]!.deviceId, second.make(6));
    const error = expectCode(() => second.driver.loadModel([attached], tinyModelFile()), 'DEVICE_TRANSFER_FAILED');
    expect((error as { details: { deviceCode: string } }).details.deviceCode).toBe('ACCEL_NOT_READY');
  });
});
