import { describe, expect, it } from 'vitest';
import { type EmulatedAccelerator, MEASUREMENT_INDEX, VULNERABLE_SVN } from '../../src/accelerator/index.ts';
import { driverFor, endorse, endorserFor, expectCode, makeDevice, portFor, vendorFor } from './driver-helpers.ts';

/**
 * Each refusal of the driver's policy, and beside it the negative control: the same attack with that one defence
 * off is accepted, so the test shows the defence is what stops it. A refused device never becomes ready and never
 * sees a staging buffer (nothing, no key and no weight, reaches it).
 */
function expectUntouched(device: EmulatedAccelerator, stagingWrites: readonly Uint8Array[]): void {
  expect(device.isReady).toBe(false);
  expect(stagingWrites).toHaveLength(0);
}

const ALL_BUT = (index: number) => [1, 2, 3, 4, 5].filter((i) => i !== index);

describe('driver refuses a device whose evidence fails', () => {
  it('DEV-01 GPU: a chain from another vendor PKI (same names, other keys) is refused; with verifyDeviceChain off it is accepted', () => {
    // Indices 3..5 (hardware config, mode, link) are the same for any GH100-like device: only the chain tells them apart.
    const pinned = [MEASUREMENT_INDEX.hardwareConfig, MEASUREMENT_INDEX.mode, MEASUREMENT_INDEX.linkMode];
    const fake = makeDevice({ flavour: 'gpu', vendor: vendorFor('gpu', 99) });
    const { port, tap } = portFor(fake);
    expectCode(() => driverFor('gpu', 'confidential', { pinned }).attach(port), 'DEVICE_CHAIN_INVALID');
    expectUntouched(fake, tap.stagingWrites);

    const control = makeDevice({ flavour: 'gpu', vendor: vendorFor('gpu', 99), index: 1 });
    const weak = driverFor('gpu', 'confidential', { pinned, defences: { verifyDeviceChain: false } });
    expect(weak.attach(portFor(control).port).verdict.mode).toBe('confidential');
    expect(control.isReady).toBe(true);
  });

  it('DEV-01 Trainium: an endorsement by a controller that does not chain to the pinned Nitro root is refused; accepted with the check off', () => {
    const forged = endorserFor(77);
    const device = makeDevice({ flavour: 'trainium' });
    const { port, tap } = portFor(device, { endorse: (nonce) => endorse(device, nonce, forged) });
    expectCode(() => driverFor('trainium', 'confidential').attach(port), 'DEVICE_CHAIN_INVALID');
    expectUntouched(device, tap.stagingWrites);

    const control = makeDevice({ flavour: 'trainium', index: 1 });
    const controlPort = portFor(control, { endorse: (nonce) => endorse(control, nonce, forged) }).port;
    const weak = driverFor('trainium', 'confidential', { defences: { verifyDeviceChain: false } });
    expect(weak.attach(controlPort).verdict.label).toBe('assumed');
  });

  it('Trainium: a flipped byte in the endorsement signature is refused', () => {
    const device = makeDevice({ flavour: 'trainium' });
    const { port } = portFor(device, {
      endorse: (nonce) => {
        const bytes = endorse(device, nonce);
        bytes[bytes.length - 3]! ^= 0x01;
        return bytes;
      },
    });
    expectCode(() => driverFor('trainium', 'confidential').attach(port), 'DEVICE_SIGNATURE_INVALID');
    expect(device.isReady).toBe(false);
  });

  it('Trainium: a genuine endorsement of another device, or none at all, is refused (DEVICE_ENDORSEMENT_INVALID)', () => {
    const device = makeDevice({ flavour: 'trainium' });
    const other = makeDevice({ flavour: 'trainium', index: 1 });
    const { port } = portFor(device, { endorse: (nonce) => endorse(other, nonce) });
    expectCode(() => driverFor('trainium', 'confidential').attach(port), 'DEVICE_ENDORSEMENT_INVALID');
    const { endorsement: _dropped, ...withoutEndorsement } = portFor(device).port;
    expectCode(() => driverFor('trainium', 'confidential').attach(withoutEndorsement), 'DEVICE_ENDORSEMENT_INVALID');
    expect(device.isReady || other.isReady).toBe(false);
  });

  it('the enclave\'s image, not the host, decides the trust model: a GPU port claiming to be platform-mediated is refused', () => {
    const device = makeDevice({ flavour: 'gpu' });
    const port = { ...portFor(device).port, trustModel: 'platform-mediated-assumed' as const, endorsement: () => new Uint8Array(8) };
    expectCode(() => driverFor('gpu', 'confidential').attach(port), 'DEVICE_TRUST_MODEL_MISMATCH');
    expect(device.isReady).toBe(false);
  });

  it('DEV-02: old, validly signed firmware (the fuse check off on the device) is refused for its svn; accepted with enforceMinSvn off', () => {
    for (const flavour of ['gpu', 'trainium'] as const) {
      const spec = { flavour, firmware: vendorFor(flavour).firmware.vulnerable, defences: { antiRollbackFuse: false } };
      const old = makeDevice(spec);
      const { port, tap } = portFor(old);
      expectCode(() => driverFor(flavour, 'confidential').attach(port), 'DEVICE_FIRMWARE_ROLLBACK');
      expectUntouched(old, tap.stagingWrites);
      // Control: a policy that does not pin the firmware digest (it allows several releases) and no svn floor.
      const control = makeDevice({ ...spec, index: 1 });
      const weak = driverFor(flavour, 'confidential', { pinned: ALL_BUT(MEASUREMENT_INDEX.firmware), defences: { enforceMinSvn: false } });
      expect(weak.attach(portFor(control).port).verdict.svn).toBe(VULNERABLE_SVN);
    }
  });

  it('DEV-03: a device in devtools mode is refused; accepted with requireConfidentialMode off', () => {
    for (const flavour of ['gpu', 'trainium'] as const) {
      const dev = makeDevice({ flavour, mode: 'devtools' });
      const { port, tap } = portFor(dev);
      expectCode(() => driverFor(flavour, 'confidential').attach(port), 'DEVICE_MODE_REJECTED');
      expectUntouched(dev, tap.stagingWrites);
      const control = makeDevice({ flavour, mode: 'devtools', index: 1 });
      const weak = driverFor(flavour, 'confidential', { pinned: ALL_BUT(MEASUREMENT_INDEX.mode), defences: { requireConfidentialMode: false } });
      expect(weak.attach(portFor(control).port).verdict.mode).toBe('devtools');
    }
  });

  it('DEV-04: firmware that is not the pinned release (a signed build with other code) fails the measurements; accepted with checkMeasurements off', () => {
    for (const flavour of ['gpu', 'trainium'] as const) {
      const vendor = vendorFor(flavour);
      const current = vendor.firmware.current;
      const other = vendor.release({ version: `${current.version}-hotfix`, svn: current.svn, code: new Uint8Array(64).fill(0x5a) });
      const dev = makeDevice({ flavour, firmware: other });
      const { port, tap } = portFor(dev);
      expectCode(() => driverFor(flavour, 'confidential').attach(port), 'DEVICE_MEASUREMENT_MISMATCH');
      expectUntouched(dev, tap.stagingWrites);
      const control = makeDevice({ flavour, firmware: other, index: 1 });
      const weak = driverFor(flavour, 'confidential', { defences: { checkMeasurements: false } });
      expect(weak.attach(portFor(control).port).verdict.firmwareDigestHex).not.toBe(vendor.referenceManifest().firmwareDigestHex);
    }
  });
});
