import { describe, expect, it } from 'vitest';
import {
  type Descriptor, type EmulatedAccelerator, LockstepChannel, MEASUREMENT_INDEX, connectPeers, createVendor,
  encodeDeviceCommand, sealWithWireIv,
} from '../../src/accelerator/index.ts';
import { verifySpdmMeasurements } from '../../src/crypto/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/index.ts';
import { attach, attest, contains } from './conformance-helpers.ts';
import { expectCode, makeDevice, pattern, same, vendorFor } from './device-helpers.ts';

/**
 * One suite, both flavours (DESIGN.md §4.9). Each security check is paired with its negative control: the same
 * check against a device built with that defence off must see the leak or the acceptance.
 */
const CANARY = pattern(4096, 0x5a);
const SMALL_LIMITS = { counterMax: 4n, rotateAfterOps: 1000, rotateAfterBytes: 1 << 30 };
const ROTATE_LIMITS = { counterMax: 1000n, rotateAfterOps: 3, rotateAfterBytes: 1 << 30 };

function run(device: EmulatedAccelerator, ...descriptors: Descriptor[]) {
  for (const d of descriptors) device.submit('enclave', d);
  device.doorbell('enclave');
  return device.pollCompletions().map((c) => c.code ?? 'ok');
}

function load(device: EmulatedAccelerator, h2d: LockstepChannel, address: number, bytes: Uint8Array): void {
  device.staging.write(0, h2d.seal(bytes));
  expect(run(device, { id: 1, op: 'decrypt', stagingSlot: 0, deviceAddress: address, length: bytes.length })).toEqual(['ok']);
}

describe.each(['gpu', 'trainium'] as const)('accelerator conformance: %s', (flavour) => {
  const vendor = vendorFor(flavour);

  it('attests over SPDM to the vendor root; measurements match the reference manifest', () => {
    const device = makeDevice(flavour);
    const { verification, claims, report, leafKey, nonce } = attest(device, vendor);
    expect(verification.measurements.map((m) => m.verdict)).toEqual(['match', 'match', 'match', 'match', 'match']);
    expect(claims).toMatchObject({ mode: 'confidential', svn: 3, linkMode: 'encrypted' });
    expect(Buffer.from(claims.fwid).toString('hex')).toBe(vendor.referenceManifest().firmwareDigestHex);
    expect(device.trustModel).toBe(flavour === 'gpu' ? 'spdm-direct' : 'platform-mediated-assumed');
    // Negative controls: a flipped report byte and a device from another vendor (DEV-01) are refused.
    const flipped = report.slice();
    flipped[report.length - 120] = flipped[report.length - 120]! ^ 1;
    expectCode(() => verifySpdmMeasurements(flipped, leafKey, { expectedNonce: nonce }), 'SPDM_BAD_SIGNATURE');
    const foreignVendor = createVendor(new Prng(99, 'foreign'), flavour);
    const fake = makeDevice(flavour, { seed: 5 });
    expectCode(() => attest(fake, foreignVendor), 'TEST_UNPINNED_ROOT');
  });

  it('ready gate: no work before SET_READY, and SET_READY only inside the session', () => {
    const device = makeDevice(flavour);
    const work: Descriptor = { id: 1, op: 'encrypt', stagingSlot: 0, deviceAddress: 0, length: 16 };
    expectCode(() => device.submit('enclave', work), 'ACCEL_NOT_READY');
    const { requester, leafKey } = attest(device, vendor);
    const session = requester.keyExchange(leafKey);
    expectCode(() => device.submit('enclave', work), 'ACCEL_NOT_READY');
    // The host sends SET_READY in the clear (a plain VENDOR_DEFINED_REQUEST): an SPDM ERROR, still not ready.
    const clear = device.spdm(Uint8Array.of(0x05, 0x11, 0xfe, 0, 0, 0, 0, 0x01, 0x00, 0x01));
    expect(clear[2]).toBe(0x7f);
    expect(device.isReady).toBe(false);
    // A second requester (the parent) cannot take a session of its own this epoch.
    const parent = attest(device, vendor, 2);
    expect(() => parent.requester.keyExchange(parent.leafKey)).toThrow(/SessionLimitExceeded/);
    expect(device.isReady).toBe(false);
    session.command(encodeDeviceCommand({ command: 'SET_READY' }));
    expect(device.isReady).toBe(true);
    device.submit('enclave', work);
  });

  it('checks the tag before it writes (negative control: tagCheckBeforeWrite off commits the bytes)', () => {
    for (const tagCheckBeforeWrite of [true, false]) {
      const device = makeDevice(flavour, { mode: 'devtools', defences: { tagCheckBeforeWrite } });
      const { h2d } = attach(device, vendor);
      load(device, h2d, 0, CANARY);
      const sealed = h2d.seal(pattern(4096, 1));
      sealed[17] = sealed[17]! ^ 0x01;
      device.staging.write(1, sealed);
      expect(run(device, { id: 2, op: 'decrypt', stagingSlot: 1, deviceAddress: 0, length: 4096 })).toEqual(['ACCEL_TAG_MISMATCH']);
      expect(same(device.mgmtRead(0, 4096), CANARY)).toBe(tagCheckBeforeWrite);
    }
  });

  it('refuses replayed and reordered staging buffers (negative control: IV from the wire accepts a replay)', () => {
    const device = makeDevice(flavour);
    const { h2d } = attach(device, vendor);
    const a = h2d.seal(pattern(4096, 1));
    const b = h2d.seal(pattern(4096, 2));
    const decrypt = (id: number, slot: number): Descriptor => ({ id, op: 'decrypt', stagingSlot: slot, deviceAddress: 0, length: 4096 });
    device.staging.write(0, a);
    device.staging.write(1, b);
    expect(run(device, decrypt(1, 1), decrypt(2, 0), decrypt(3, 0), decrypt(4, 1))).toEqual(['ACCEL_TAG_MISMATCH', 'ok', 'ACCEL_TAG_MISMATCH', 'ok']);

    const flawed = makeDevice(flavour, { defences: { lockstepCounters: false } });
    const { session } = attach(flawed, vendor);
    flawed.staging.write(0, sealWithWireIv(session.exportMaster, new Uint8Array(12).fill(3), pattern(4096, 1)));
    expect(run(flawed, decrypt(1, 0), decrypt(2, 0))).toEqual(['ok', 'ok']); // the replay is accepted
  });

  it('makes counter exhaustion a hard error on both sides', () => {
    const device = makeDevice(flavour, { limits: SMALL_LIMITS });
    const { h2d } = attach(device, vendor, SMALL_LIMITS);
    for (let i = 0; i < 4; i++) load(device, h2d, 0, pattern(64, i));
    expectCode(() => h2d.seal(pattern(64, 9)), 'ACCEL_COUNTER_EXHAUSTED');
    device.staging.write(0, new Uint8Array(64 + 16));
    expect(run(device, { id: 9, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 64 })).toEqual(['ACCEL_COUNTER_EXHAUSTED']);
  });

  it('rotates keys past the threshold on both sides', () => {
    const device = makeDevice(flavour, { limits: ROTATE_LIMITS });
    const { h2d, d2h, session } = attach(device, vendor, ROTATE_LIMITS);
    const stale = new LockstepChannel(session.exportMaster, 'h2d-data', { ...ROTATE_LIMITS, rotateAfterOps: 1000 });
    for (let i = 0; i < 3; i++) {
      stale.seal(pattern(64, i));
      load(device, h2d, 0, pattern(64, i));
      expect(run(device, { id: 5, op: 'encrypt', stagingSlot: 1, deviceAddress: 0, length: 64 })).toEqual(['ok']);
      expect(same(d2h.open(device.staging.read(1)), pattern(64, i))).toBe(true);
    }
    expect(h2d.state().generation).toBe(1);
    expect(d2h.state().generation).toBe(1);
    device.staging.write(0, stale.seal(pattern(64, 7))); // right counter, pre-rotation key
    expect(run(device, { id: 6, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 64 })).toEqual(['ACCEL_TAG_MISMATCH']);
    load(device, h2d, 0, pattern(64, 7));
  });

  it('refuses work from the parent (negative control: sessionBinding off accepts it)', () => {
    for (const sessionBinding of [true, false]) {
      const device = makeDevice(flavour, { defences: { sessionBinding } });
      const { h2d } = attach(device, vendor);
      load(device, h2d, 0, CANARY);
      expect(contains(device.staging.read(0), CANARY.subarray(0, 64))).toBe(false);
      const steal: Descriptor = { id: 7, op: 'encrypt', stagingSlot: 2, deviceAddress: 0, length: 4096 };
      if (sessionBinding) {
        expectCode(() => device.submit('parent', steal), 'ACCEL_NOT_SESSION_HOLDER');
        expectCode(() => device.doorbell('parent'), 'ACCEL_NOT_SESSION_HOLDER');
      } else {
        device.submit('parent', steal);
        device.doorbell('parent');
        expect(device.pollCompletions()).toMatchObject([{ id: 7, ok: true }]);
      }
    }
  });

  it('applies a mode change only at reset, and reset scrubs (negative controls: live mode change, no scrub, no firewall)', () => {
    const device = makeDevice(flavour);
    const { h2d, session } = attach(device, vendor);
    load(device, h2d, 0, CANARY);
    device.setPendingMode('devtools');
    expect(device.mode).toBe('confidential');
    expect(device.mgmtRead(0, 4096).every((b) => b === 0xff)).toBe(true);
    expect(device.perfCounters()).toBeNull();
    expect(device.drainEvents().some((e) => e.kind === 'FIREWALL_BLOCK')).toBe(true);
    expect(device.reset()).toMatchObject({ scrubbedPages: 1, verified: true, mode: 'devtools' });
    expect(device.mgmtRead(0, 4096).every((b) => b === 0)).toBe(true);
    expect(() => session.command(encodeDeviceCommand({ command: 'GET_STATUS' }))).toThrow();

    const live = makeDevice(flavour, { defences: { modeChangeOnlyAtReset: false } });
    load(live, attach(live, vendor).h2d, 0, CANARY);
    live.setPendingMode('devtools');
    expect(same(live.mgmtRead(0, 4096), CANARY)).toBe(true); // the downgrade exposes the session's data

    const dirty = makeDevice(flavour, { defences: { scrubOnReset: false } });
    load(dirty, attach(dirty, vendor).h2d, 0, CANARY);
    dirty.setPendingMode('devtools');
    dirty.reset();
    expect(same(dirty.mgmtRead(0, 4096), CANARY)).toBe(true); // the next owner reads the residue (CT-03)

    const open = makeDevice(flavour, { defences: { memoryFirewall: false } });
    load(open, attach(open, vendor).h2d, 0, CANARY);
    expect(same(open.mgmtRead(0, 4096), CANARY)).toBe(true); // OP-09
    expect(open.perfCounters()).not.toBeNull();
  });

  it('refuses a rollback with the fuse and a modified image (negative control: fuse off boots it, and only attestation can tell)', () => {
    const device = makeDevice(flavour);
    device.stageFirmware(vendor.firmware.vulnerable);
    try {
      device.reset();
      expect.fail('rollback booted');
    } catch (error) {
      expect(isEmuError(error, 'DEV_BOOT_REFUSED')).toBe(true);
    }
    expect(attest(device, vendor).claims.svn).toBe(3);
    // DEV-04: a modified image, unsigned or re-signed by a key that is not the vendor's, never boots.
    for (const signing of ['unsigned', 'foreign-key'] as const) {
      device.stageFirmware(vendor.modifiedImage(vendor.firmware.current, Uint8Array.of(0xcc), signing, new Prng(4, signing)));
      expectCode(() => device.reset(), 'DEV_BOOT_REFUSED');
    }
    expect(device.firmware().digestHex).toBe(vendor.referenceManifest().firmwareDigestHex);

    const unfused = makeDevice(flavour, { defences: { antiRollbackFuse: false } });
    unfused.stageFirmware(vendor.firmware.vulnerable);
    unfused.reset();
    const evidence = attest(unfused, vendor);
    expect(evidence.claims.svn).toBeLessThan(vendor.minSvn);
    expect(evidence.verification.measurements.find((m) => m.index === MEASUREMENT_INDEX.firmware)?.verdict).toBe('mismatch');
  });

  it('shows devtools in the signed report, and a device in mode off refuses a session', () => {
    const device = makeDevice(flavour);
    device.setPendingMode('devtools');
    device.reset();
    const evidence = attest(device, vendor);
    expect(evidence.claims.mode).toBe('devtools');
    expect(evidence.verification.measurements.find((m) => m.index === MEASUREMENT_INDEX.mode)?.verdict).toBe('mismatch');
    const off = makeDevice(flavour, { mode: 'off' });
    const offEvidence = attest(off, vendor);
    expect(offEvidence.claims.mode).toBe('off');
    expect(() => offEvidence.requester.keyExchange(offEvidence.leafKey)).toThrow(/UnsupportedRequest/);
    expect(off.drainEvents().some((e) => e.kind === 'SESSION_REFUSED')).toBe(true);
  });

  it('runs a matmul on device memory', () => {
    const device = makeDevice(flavour);
    const { h2d, d2h } = attach(device, vendor);
    load(device, h2d, 0, new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer)); // [2,3]
    load(device, h2d, 4096, new Uint8Array(new Float32Array([1, 0, 0, 1, 1, 1]).buffer)); // [3,2]
    const busyBefore = device.busyNs;
    expect(run(device,
      { id: 3, op: 'compute', call: { kernel: 'matmul', inputs: [{ address: 0, shape: [2, 3] }, { address: 4096, shape: [3, 2] }], output: { address: 8192, shape: [2, 2] } } },
      { id: 4, op: 'encrypt', stagingSlot: 1, deviceAddress: 8192, length: 16 },
    )).toEqual(['ok', 'ok']);
    const out = d2h.open(device.staging.read(1));
    expect(Array.from(new Float32Array(out.buffer, out.byteOffset, 4))).toEqual([4, 5, 10, 11]);
    expect(device.busyNs).toBeGreaterThan(busyBefore);
  });

  it('sends peer frames as ciphertext between keyed devices (negative controls: no key refused; a plain pair leaks)', () => {
    const x = makeDevice(flavour, { index: 0 });
    const y = makeDevice(flavour, { index: 1 });
    connectPeers(x, y);
    const ax = attach(x, vendor, undefined, 1);
    const ay = attach(y, vendor, undefined, 2);
    load(x, ax.h2d, 0, CANARY);
    const send: Descriptor = { id: 2, op: 'peer-send', peerDeviceId: y.deviceId, linkSlot: 0, deviceAddress: 0, length: 4096 };
    expect(run(x, send)).toEqual(['DEV_NO_PEER_KEY']);
    const linkSecret = new Prng(3, 'link').bytes(32);
    ax.session.command(encodeDeviceCommand({ command: 'SET_PEER_KEY', peerDeviceId: y.deviceId, linkSecret }));
    ay.session.command(encodeDeviceCommand({ command: 'SET_PEER_KEY', peerDeviceId: x.deviceId, linkSecret }));
    expect(run(x, send)).toEqual(['ok']);
    expect(contains(y.link.read(0), CANARY.subarray(0, 32))).toBe(false);
    expect(run(y,
      { id: 3, op: 'peer-recv', peerDeviceId: x.deviceId, linkSlot: 0, deviceAddress: 4096, length: 4096 },
      { id: 4, op: 'encrypt', stagingSlot: 1, deviceAddress: 4096, length: 4096 },
    )).toEqual(['ok', 'ok']);
    expect(same(ay.d2h.open(y.staging.read(1)), CANARY)).toBe(true);

    const px = makeDevice(flavour, { index: 2, mode: 'off' });
    const py = makeDevice(flavour, { index: 3, mode: 'off' });
    connectPeers(px, py);
    px.staging.write(0, CANARY);
    px.submit('parent', { id: 1, op: 'copy-in', stagingSlot: 0, deviceAddress: 0, length: 4096 });
    px.submit('parent', { id: 2, op: 'peer-send', peerDeviceId: py.deviceId, linkSlot: 0, deviceAddress: 0, length: 4096 });
    px.doorbell('parent');
    expect(contains(py.link.read(0), CANARY.subarray(0, 32))).toBe(true);
  });
});
