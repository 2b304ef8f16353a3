import { describe, expect, it } from 'vitest';
import {
  GPU_PROFILE, ProtectedMemory, TRAINIUM_PROFILE, computeNs, confidentialCopyNs, connectPeers, decodeDeviceStatus,
  type Descriptor, plainCopyNs,
} from '../../src/accelerator/index.ts';
import { MiB, expectCode, hookSession, makeDevice, pattern, same } from './device-helpers.ts';
import { spdmHooksForTest } from '../../src/accelerator/device.ts';

function readyDevice(options: Parameters<typeof makeDevice>[1] = {}) {
  const device = makeDevice('gpu', options);
  const session = hookSession(device, 0x1234_5678, options.limits);
  session.command({ command: 'SET_READY' });
  return { device, ...session };
}

function run(device: ReturnType<typeof makeDevice>, ...descriptors: Descriptor[]) {
  for (const d of descriptors) device.submit('enclave', d);
  device.doorbell('enclave');
  return device.pollCompletions().map(({ id, ok, code }) => (ok ? { id, ok } : { id, ok, code }));
}

describe('flavour profiles and cost', () => {
  it('charges compute as flops at peak plus bytes through HBM, per flavour', () => {
    const cost = { flops: 2 * 4096 ** 3, bytes: 3 * 4096 * 4096 * 4 };
    const gpu = computeNs(GPU_PROFILE, cost);
    expect(gpu).toBe(Math.ceil(cost.flops / 989_000) + Math.ceil(cost.bytes / 3350));
    expect(computeNs(TRAINIUM_PROFILE, cost)).toBeGreaterThan(gpu); // lower peak and HBM rate
    expect(computeNs(GPU_PROFILE, { flops: 0, bytes: 0 })).toBe(0);
    expect(TRAINIUM_PROFILE.hbmBytes).toBe(96 * 1024 ** 3);
    expect(TRAINIUM_PROFILE.hbmBytesPerNs).toBe(2900);
    // A confidential copy costs far more than compute on the same bytes: the bridge is the bottleneck (§2).
    expect(confidentialCopyNs(cost.bytes, GPU_PROFILE.bridge)).toBeGreaterThan(10 * gpu);
    expect(plainCopyNs(4096, TRAINIUM_PROFILE.bridge)).toBe(plainCopyNs(4096));
  });
});

describe('protected memory', () => {
  it('is sparse, bounds-checked, and its scrub reads back zeros', () => {
    const memory = new ProtectedMemory(1 * MiB);
    memory.write(4090, pattern(10, 1));
    expect(memory.residentPages()).toBe(2);
    expect(same(memory.read(4090, 10), pattern(10, 1))).toBe(true);
    expectCode(() => memory.write(MiB - 4, new Uint8Array(5)), 'ACCEL_BAD_ADDRESS');
    expect(memory.scrubVerified()).toEqual({ scrubbedPages: 2, verified: true });
    expect(memory.residentPages()).toBe(0);
    expect(memory.read(4090, 10).every((b) => b === 0)).toBe(true);
  });
});

describe('confidential data path', () => {
  it('round-trips 1 MiB; staging holds only ciphertext; busy time is charged', () => {
    const { device, h2d, d2h } = readyDevice();
    const weights = pattern(1 * MiB, 3);
    device.staging.write(0, h2d.seal(weights));
    expect(same(device.staging.read(0).subarray(0, 64), weights.subarray(0, 64))).toBe(false);
    expect(run(device, { id: 1, op: 'decrypt', stagingSlot: 0, deviceAddress: 4096, length: weights.length })).toEqual([{ id: 1, ok: true }]);
    expect(run(device, { id: 2, op: 'encrypt', stagingSlot: 1, deviceAddress: 4096, length: weights.length })).toEqual([{ id: 2, ok: true }]);
    expect(same(d2h.open(device.staging.read(1)), weights)).toBe(true);
    expect(device.busyNs).toBeGreaterThan(2 * 330_000);
  });

  it('tampered, replayed and reordered buffers give error completions and write nothing', () => {
    const { device, h2d } = readyDevice();
    const a = h2d.seal(pattern(4096, 1));
    const b = h2d.seal(pattern(4096, 2));
    const tampered = a.slice();
    tampered[100] = tampered[100]! ^ 0x80;
    device.staging.write(0, tampered);
    device.staging.write(1, b);
    expect(run(device,
      { id: 0, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 4096 },
      { id: 1, op: 'decrypt', stagingSlot: 1, deviceAddress: 0, length: 4096 }, // reordered: b before a
    )).toEqual([{ id: 0, ok: false, code: 'ACCEL_TAG_MISMATCH' }, { id: 1, ok: false, code: 'ACCEL_TAG_MISMATCH' }]);
    expect(device.residentPages()).toBe(0);
    expect(device.drainEvents().filter((e) => e.kind === 'TAG_MISMATCH')).toHaveLength(2);
    device.staging.write(0, a);
    expect(run(device,
      { id: 2, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 4096 },
      { id: 3, op: 'decrypt', stagingSlot: 0, deviceAddress: 8192, length: 4096 }, // replay
    )).toEqual([{ id: 2, ok: true }, { id: 3, ok: false, code: 'ACCEL_TAG_MISMATCH' }]);
    expect(device.residentPages()).toBe(1);
  });

  it('refuses truncated, oversized, out-of-range and bad-slot transfers without a state change', () => {
    const { device, h2d } = readyDevice();
    device.staging.write(0, h2d.seal(pattern(100, 5)).subarray(0, 90));
    expect(run(device, { id: 1, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 100 }))
      .toEqual([{ id: 1, ok: false, code: 'ACCEL_LENGTH_MISMATCH' }]);
    expectCode(() => device.submit('enclave', { id: 2, op: 'decrypt', stagingSlot: 0, deviceAddress: 64 * MiB - 50, length: 100 }), 'ACCEL_BAD_ADDRESS');
    expectCode(() => device.submit('enclave', { id: 3, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 2 * MiB }), 'ACCEL_TRANSFER_TOO_LARGE');
    expectCode(() => device.submit('enclave', { id: 4, op: 'decrypt', stagingSlot: 8, deviceAddress: 0, length: 16 }), 'ACCEL_BAD_SLOT');
    expectCode(() => device.submit('enclave', { id: -1, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 16 }), 'ACCEL_BAD_DESCRIPTOR');
    expectCode(() => device.submit('enclave', { id: 5, op: 'format-disk', stagingSlot: 0, deviceAddress: 0, length: 16 } as unknown as Descriptor), 'ACCEL_BAD_DESCRIPTOR');
    expect(device.doorbell('enclave')).toBe(0);
    expect(device.residentPages()).toBe(0);
  });

  it('bounds the submission ring', () => {
    const { device } = readyDevice();
    for (let id = 0; id < 8; id++) device.submit('enclave', { id, op: 'encrypt', stagingSlot: 0, deviceAddress: 0, length: 16 });
    expectCode(() => device.submit('enclave', { id: 8, op: 'encrypt', stagingSlot: 0, deviceAddress: 0, length: 16 }), 'ACCEL_RING_FULL');
  });
});

describe('sessions and the ready gate', () => {
  it('only the session holder sets READY; one session per epoch; mode off holds none', () => {
    const device = makeDevice('gpu');
    const d: Descriptor = { id: 1, op: 'encrypt', stagingSlot: 0, deviceAddress: 0, length: 16 };
    expectCode(() => device.submit('enclave', d), 'ACCEL_NOT_READY');
    const first = hookSession(device, 1);
    expectCode(() => device.submit('enclave', d), 'ACCEL_NOT_READY');
    const hooks = spdmHooksForTest(device);
    hooks.onSessionEstablished({ sessionId: 2, exportMaster: new Uint8Array(48).fill(9) }); // a second holder
    expectCode(() => hooks.onSecuredCommand(2, Uint8Array.of(0x01)), 'DEV_NOT_SESSION');
    expect(device.isReady).toBe(false);
    expect(decodeDeviceStatus(first.command({ command: 'GET_STATUS' }))).toMatchObject({ mode: 'confidential', ready: false, svn: 3 });
    first.command({ command: 'SET_READY' });
    expect(device.isReady).toBe(true);
    expectCode(() => device.submit('parent', d), 'ACCEL_NOT_SESSION_HOLDER');
    expectCode(() => device.doorbell('parent'), 'ACCEL_NOT_SESSION_HOLDER');
    hooks.onSessionEnded(1);
    expect(device.isReady).toBe(false);
    expectCode(() => first.command({ command: 'SET_READY' }), 'DEV_NOT_SESSION');
    hookSession(device, 3); // still the same epoch: refused
    expectCode(() => hooks.onSecuredCommand(3, Uint8Array.of(0x01)), 'DEV_NOT_SESSION');
    device.reset();
    hookSession(device, 4).command({ command: 'SET_READY' });
    expect(device.isReady).toBe(true);

    const off = makeDevice('gpu', { mode: 'off' });
    const refused = hookSession(off, 5);
    expectCode(() => refused.command({ command: 'SET_READY' }), 'DEV_NOT_SESSION');
    expect(off.drainEvents().some((e) => e.kind === 'SESSION_REFUSED' && e.fields['reason'] === 'mode-off')).toBe(true);
  });
});

describe('plain device (mode off)', () => {
  it('copies plaintext for whoever holds the PCIe function and refuses the encrypted ops', () => {
    const device = makeDevice('gpu', { mode: 'off' });
    device.staging.write(0, pattern(4096, 4));
    device.submit('parent', { id: 1, op: 'copy-in', stagingSlot: 0, deviceAddress: 0, length: 4096 });
    device.submit('parent', { id: 2, op: 'copy-out', stagingSlot: 1, deviceAddress: 0, length: 4096 });
    device.submit('parent', { id: 3, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 4080 });
    device.doorbell('parent');
    expect(device.pollCompletions().map((c) => c.code ?? 'ok')).toEqual(['ok', 'ok', 'ACCEL_MODE_OFF']);
    expect(same(device.staging.read(1), pattern(4096, 4))).toBe(true);
    expect(same(device.mgmtRead(0, 4096), pattern(4096, 4))).toBe(true);
    expect(device.perfCounters()?.['bytesIn']).toBe(4096);
  });

  it('a confidential device refuses the plain copies', () => {
    const { device } = readyDevice();
    device.staging.write(0, pattern(64, 1));
    expect(run(device, { id: 1, op: 'copy-in', stagingSlot: 0, deviceAddress: 0, length: 64 }))
      .toEqual([{ id: 1, ok: false, code: 'DEV_PLAIN_COPY_REFUSED' }]);
    expect(device.residentPages()).toBe(0);
  });
});

describe('management plane and reset', () => {
  it('firewalls memory and counters in confidential mode, and reset scrubs with a verified read-back', () => {
    const { device, h2d } = readyDevice();
    device.staging.write(0, h2d.seal(pattern(8192, 6)));
    run(device, { id: 1, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 8192 });
    expect(device.mgmtRead(0, 64).every((b) => b === 0xff)).toBe(true);
    expect(device.perfCounters()).toBeNull();
    expect(device.drainEvents().some((e) => e.kind === 'FIREWALL_BLOCK')).toBe(true);
    expectCode(() => device.mgmtRead(0, 2 * MiB), 'ACCEL_TRANSFER_TOO_LARGE');
    device.setPendingMode('devtools');
    expect(device.mode).toBe('confidential');
    const report = device.reset();
    expect(report).toEqual({ scrubbedPages: 2, verified: true, mode: 'devtools', epoch: 1 });
    expect(device.drainEvents().find((e) => e.kind === 'SCRUB_DONE')?.fields).toMatchObject({ scrubbedPages: 2, verified: true });
    expect(device.mgmtRead(0, 8192).every((b) => b === 0)).toBe(true);
    expect(device.isReady).toBe(false);
    expect(device.perfCounters()).not.toBeNull();
  });
});

describe('compute and peer link', () => {
  it('runs a matmul on device memory and charges compute time', () => {
    const { device, h2d, d2h } = readyDevice();
    const a = new Float32Array([1, 2, 3, 4]); // 2x2
    const b = new Float32Array([5, 6, 7, 8]);
    device.staging.write(0, h2d.seal(new Uint8Array(a.buffer)));
    device.staging.write(1, h2d.seal(new Uint8Array(b.buffer)));
    expect(run(device,
      { id: 1, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 16 },
      { id: 2, op: 'decrypt', stagingSlot: 1, deviceAddress: 4096, length: 16 },
      { id: 3, op: 'compute', call: { kernel: 'matmul', inputs: [{ address: 0, shape: [2, 2] }, { address: 4096, shape: [2, 2] }], output: { address: 8192, shape: [2, 2] } } },
      { id: 4, op: 'encrypt', stagingSlot: 2, deviceAddress: 8192, length: 16 },
    ).map((c) => c.ok)).toEqual([true, true, true, true]);
    const out = d2h.open(device.staging.read(2));
    expect(Array.from(new Float32Array(out.buffer, out.byteOffset, 4))).toEqual([19, 22, 43, 50]);
    expect(device.perfCounters()).toBeNull();
  });

  it('sends sealed frames between keyed peers; an unkeyed peer is refused; tampering fails the tag', () => {
    const x = readyDevice({ index: 0 });
    const yDevice = makeDevice('gpu', { index: 1 });
    const y = hookSession(yDevice, 77);
    y.command({ command: 'SET_READY' });
    connectPeers(x.device, yDevice);
    const secret = new Uint8Array(32).fill(42);
    const payload = pattern(4096, 8);
    x.device.staging.write(0, x.h2d.seal(payload));
    const send: Descriptor = { id: 2, op: 'peer-send', peerDeviceId: yDevice.deviceId, linkSlot: 0, deviceAddress: 0, length: 4096 };
    expect(run(x.device, { id: 1, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 4096 }, send)[1])
      .toEqual({ id: 2, ok: false, code: 'DEV_NO_PEER_KEY' });
    x.command({ command: 'SET_PEER_KEY', peerDeviceId: yDevice.deviceId, linkSecret: secret });
    y.command({ command: 'SET_PEER_KEY', peerDeviceId: x.device.deviceId, linkSecret: secret });
    expect(run(x.device, send)).toEqual([{ id: 2, ok: true }]);
    const frame = yDevice.link.read(0);
    expect(frame.length).toBe(4096 + 16);
    expect(Buffer.from(frame).indexOf(Buffer.from(payload.subarray(0, 32)))).toBe(-1);
    const tampered = frame.slice();
    tampered[5] = tampered[5]! ^ 1;
    yDevice.link.write(0, tampered);
    const recv: Descriptor = { id: 3, op: 'peer-recv', peerDeviceId: x.device.deviceId, linkSlot: 0, deviceAddress: 0, length: 4096 };
    expect(run(yDevice, recv)).toEqual([{ id: 3, ok: false, code: 'ACCEL_TAG_MISMATCH' }]);
    expect(yDevice.residentPages()).toBe(0);
    yDevice.link.write(0, frame);
    expect(run(yDevice, recv, { id: 4, op: 'encrypt', stagingSlot: 0, deviceAddress: 0, length: 4096 })).toEqual([{ id: 3, ok: true }, { id: 4, ok: true }]);
    expect(same(y.d2h.open(yDevice.staging.read(0)), payload)).toBe(true);
    // A frame x sent cannot be reflected back into x: the two directions have different keys.
    x.device.link.write(0, frame);
    expect(run(x.device, { id: 5, op: 'peer-recv', peerDeviceId: yDevice.deviceId, linkSlot: 0, deviceAddress: 0, length: 4096 }))
      .toEqual([{ id: 5, ok: false, code: 'ACCEL_TAG_MISMATCH' }]);
  });
});
