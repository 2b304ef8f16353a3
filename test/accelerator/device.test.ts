import { describe, expect, it } from 'vitest';
import { ConfidentialDevice, LockstepChannel, ProtectedMemory, readyProof } from '../../src/accelerator/index.ts';
import { isEmuError } from '../../src/errors.ts';

const secret = new Uint8Array(48).map((_, i) => 200 - i);
const MiB = 1 << 20;

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(isEmuError(error, code), String(error)).toBe(true);
    return;
  }
  expect.fail(`expected ${code}`);
}

function readyDevice() {
  const device = new ConfidentialDevice({ capacityBytes: 64 * MiB, ringSlotsMax: 4, stagingSlotsMax: 4, transferBytesMax: 8 * MiB });
  device.setPendingMode('confidential');
  device.reset();
  device.establishSession(secret);
  device.setReady(readyProof(secret, device.epoch));
  const h2d = new LockstepChannel(secret, 'h2d-data');
  const d2h = new LockstepChannel(secret, 'd2h-data');
  return { device, h2d, d2h };
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

function roundTrip(device: ConfidentialDevice, d2h: LockstepChannel, address: number, length: number): Uint8Array {
  device.submit('enclave', { id: 99, op: 'encrypt', stagingSlot: 1, protectedAddress: address, length });
  device.doorbell('enclave');
  expect(device.pollCompletions()).toEqual([{ id: 99, ok: true }]);
  return d2h.open(device.staging.read(1));
}

describe('protected memory', () => {
  it('is sparse, bounds-checked and scrubbed', () => {
    const memory = new ProtectedMemory(1 * MiB);
    memory.write(4090, pattern(10, 1));
    expect(memory.residentPages()).toBe(2);
    expect(Buffer.from(memory.read(4090, 10)).equals(pattern(10, 1))).toBe(true);
    expectCode(() => memory.write(MiB - 4, new Uint8Array(5)), 'ACCEL_BAD_ADDRESS');
    memory.scrub();
    expect(memory.residentPages()).toBe(0);
    expect(memory.read(4090, 10).every((b) => b === 0)).toBe(true);
  });
});

describe('confidential device data path', () => {
  it('round-trips an 8 MiB buffer: staging holds only ciphertext', () => {
    const { device, h2d, d2h } = readyDevice();
    const weights = pattern(8 * MiB, 3);
    const sealed = h2d.seal(weights);
    expect(Buffer.from(sealed.subarray(0, 64)).equals(weights.subarray(0, 64))).toBe(false);
    device.staging.write(0, sealed);
    device.submit('enclave', { id: 1, op: 'decrypt', stagingSlot: 0, protectedAddress: 4096, length: weights.length });
    expect(device.doorbell('enclave')).toBe(1);
    expect(device.pollCompletions()).toEqual([{ id: 1, ok: true }]);
    expect(Buffer.from(roundTrip(device, d2h, 4096, weights.length)).equals(weights)).toBe(true);
    expect(device.busyNs).toBeGreaterThan(0);
  });

  it('tampered, replayed and reordered buffers give error completions and write nothing', () => {
    const { device, h2d } = readyDevice();
    const a = h2d.seal(pattern(4096, 1));
    const b = h2d.seal(pattern(4096, 2));
    const tampered = a.slice();
    tampered[100] = (tampered[100] ?? 0) ^ 0x80;
    for (const [slot, bytes] of [[0, tampered], [1, b]] as const) {
      device.staging.write(slot, bytes);
      device.submit('enclave', { id: slot, op: 'decrypt', stagingSlot: slot, protectedAddress: 0, length: 4096 });
    }
    device.doorbell('enclave');
    expect(device.pollCompletions()).toEqual([
      { id: 0, ok: false, code: 'ACCEL_TAG_MISMATCH' },
      { id: 1, ok: false, code: 'ACCEL_TAG_MISMATCH' },
    ]);
    expect(device.residentPages()).toBe(0);
    expect(device.errorCount).toBe(2);
    device.staging.write(0, a);
    device.submit('enclave', { id: 2, op: 'decrypt', stagingSlot: 0, protectedAddress: 0, length: 4096 });
    device.submit('enclave', { id: 3, op: 'decrypt', stagingSlot: 0, protectedAddress: 8192, length: 4096 }); // replay
    device.doorbell('enclave');
    expect(device.pollCompletions()).toEqual([{ id: 2, ok: true }, { id: 3, ok: false, code: 'ACCEL_TAG_MISMATCH' }]);
    expect(device.residentPages()).toBe(1);
  });

  it('refuses truncated, oversized and out-of-range transfers', () => {
    const { device, h2d } = readyDevice();
    const sealed = h2d.seal(pattern(100, 5));
    device.staging.write(0, sealed.subarray(0, 90));
    device.submit('enclave', { id: 1, op: 'decrypt', stagingSlot: 0, protectedAddress: 0, length: 100 });
    device.submit('enclave', { id: 2, op: 'decrypt', stagingSlot: 0, protectedAddress: 64 * MiB - 50, length: 100 });
    device.doorbell('enclave');
    expect(device.pollCompletions()).toEqual([
      { id: 1, ok: false, code: 'ACCEL_LENGTH_MISMATCH' },
      { id: 2, ok: false, code: 'ACCEL_BAD_ADDRESS' },
    ]);
    expectCode(() => device.submit('enclave', { id: 3, op: 'decrypt', stagingSlot: 0, protectedAddress: 0, length: 9 * MiB }), 'ACCEL_TRANSFER_TOO_LARGE');
    expect(device.residentPages()).toBe(0);
  });

  it('bounds the submission ring', () => {
    const { device } = readyDevice();
    for (let id = 0; id < 4; id++) device.submit('enclave', { id, op: 'encrypt', stagingSlot: 0, protectedAddress: 0, length: 16 });
    expectCode(() => device.submit('enclave', { id: 4, op: 'encrypt', stagingSlot: 0, protectedAddress: 0, length: 16 }), 'ACCEL_RING_FULL');
  });
});

describe('ready gate, mode register and reset', () => {
  it('refuses work before SET_READY, a wrong proof, and the parent', () => {
    const device = new ConfidentialDevice({ capacityBytes: MiB, ringSlotsMax: 2, stagingSlotsMax: 2, transferBytesMax: 4096 });
    const d = { id: 1, op: 'encrypt' as const, stagingSlot: 0, protectedAddress: 0, length: 16 };
    expectCode(() => device.submit('enclave', d), 'ACCEL_MODE_OFF');
    device.setPendingMode('confidential');
    expect(device.mode).toBe('off'); // not until reset
    device.reset();
    expect(device.mode).toBe('confidential');
    expectCode(() => device.setReady(readyProof(secret, device.epoch)), 'ACCEL_NO_SESSION');
    device.establishSession(secret);
    expectCode(() => device.submit('enclave', d), 'ACCEL_NOT_READY');
    expectCode(() => device.doorbell('enclave'), 'ACCEL_NOT_READY');
    const wrong = readyProof(secret, device.epoch);
    wrong[0] = (wrong[0] ?? 0) ^ 1;
    expectCode(() => device.setReady(wrong), 'ACCEL_BAD_READY_PROOF');
    expectCode(() => device.setReady(readyProof(secret, device.epoch - 1)), 'ACCEL_BAD_READY_PROOF');
    expect(device.isReady).toBe(false);
    device.setReady(readyProof(secret, device.epoch));
    expectCode(() => device.submit('parent', d), 'ACCEL_NOT_SESSION_HOLDER');
    expectCode(() => device.doorbell('parent'), 'ACCEL_NOT_SESSION_HOLDER');
    device.submit('enclave', d);
  });

  it('reset scrubs memory, drops the session and applies the pending mode', () => {
    const { device, h2d } = readyDevice();
    device.staging.write(0, h2d.seal(pattern(4096, 9)));
    device.submit('enclave', { id: 1, op: 'decrypt', stagingSlot: 0, protectedAddress: 0, length: 4096 });
    device.doorbell('enclave');
    expect(device.residentPages()).toBe(1);
    const oldProof = readyProof(secret, device.epoch);
    device.setPendingMode('devtools');
    expect(device.mode).toBe('confidential');
    device.reset();
    expect(device.mode).toBe('devtools');
    expect(device.residentPages()).toBe(0);
    expect(device.isReady).toBe(false);
    device.establishSession(secret);
    expectCode(() => device.setReady(oldProof), 'ACCEL_BAD_READY_PROOF'); // a proof from before the reset
  });
});
