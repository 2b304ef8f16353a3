import { describe, expect, it } from 'vitest';
import {
  createDomainProtectors,
  createFabric,
  createGbnTransport,
  createTcpLikeTransport,
  DEFAULT_FABRIC_CONFIG,
  GBN_WINDOW_PACKETS,
  MESSAGE_BYTES_MAX,
  PS_PER_MS,
  PS_PER_US,
  TCP_RTO_MIN_TUNED_PS,
  type DeliveredSegment,
  type Fabric,
  type PacketProtector,
  type SinglePathTransport,
  type TransferCompletion,
} from '../../src/efa/index.ts';

type Kind = 'tcp-1ms' | 'gbn';

function world(kind: Kind, options: { seed?: number; protect?: boolean } = {}): { fabric: Fabric; t: SinglePathTransport[]; protectors?: Map<number, PacketProtector> } {
  const fabric = createFabric({ ...DEFAULT_FABRIC_CONFIG, seed: options.seed ?? 3 });
  const hosts = Array.from({ length: fabric.hostCount }, (_, h) => h);
  const protectors = options.protect ? createDomainProtectors({ hosts, jobId: 'baseline-test', domainSecret: new Uint8Array(32).fill(7) }) : undefined;
  const t = hosts.map((h) => {
    const protector = protectors?.get(h);
    const p = protector === undefined ? {} : { protector };
    return kind === 'gbn' ? createGbnTransport(fabric, h, p) : createTcpLikeTransport(fabric, h, { rtoMinPs: TCP_RTO_MIN_TUNED_PS, ...p });
  });
  return { fabric, t, ...(protectors ? { protectors } : {}) };
}

function payloadOf(bytes: number, salt: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + salt) & 0xff;
  return out;
}

/** Posts messages 0→8 with payloads, runs, and reassembles what host 8 received in delivery order. */
function transfer(w: ReturnType<typeof world>, sizes: number[], untilPs = 2_000 * PS_PER_MS) {
  const completions: TransferCompletion[] = [];
  const delivered: DeliveredSegment[] = [];
  w.t[8]!.onDeliver((s) => delivered.push(s));
  sizes.forEach((bytes, id) => w.t[0]!.post({ id, dst: 8, bytes, payload: payloadOf(bytes, id), onComplete: (c) => completions.push(c) }));
  w.fabric.run({ untilPs });
  return { completions, delivered };
}

/** vitest's deep equality is slow on megabytes; compare as buffers. */
function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe.each(['tcp-1ms', 'gbn'] as const)('%s baseline', (kind) => {
  it('delivers every byte exactly once, in order, and completes each message once', () => {
    const w = world(kind);
    const sizes = [100_000, 8192, 0, 300_000, 1];
    const { completions, delivered } = transfer(w, sizes);
    expect(completions.map((c) => c.id).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(completions.every((c) => c.ok && c.completedPs > c.postedPs)).toBe(true);
    // In order: message ids never go back, offsets grow within a message.
    let last = { id: -1, end: 0 };
    for (const s of delivered) {
      if (s.messageId === last.id) expect(s.offset).toBe(last.end);
      else {
        expect(s.messageId).toBeGreaterThan(last.id);
        expect(s.offset).toBe(0);
      }
      last = { id: s.messageId, end: s.offset + s.length };
      expect(sameBytes(s.payload, payloadOf(sizes[s.messageId]!, s.messageId).subarray(s.offset, s.offset + s.length))).toBe(true);
    }
    expect(delivered.reduce((n, s) => n + s.length, 0)).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('keeps one connection on one path: every data packet carries the same entropy', () => {
    const w = world(kind);
    const entropies = new Set<number>();
    w.fabric.tap(w.fabric.route(0, 8, 0)[0]!, (p) => {
      if (p.kind === 'data') entropies.add(p.entropy);
    });
    transfer(w, [500_000, 500_000]);
    expect(entropies).toEqual(new Set([w.t[0]!.entropyTo(8)]));
  });

  it('recovers from random loss and hands the application intact, ordered bytes', () => {
    const w = world(kind, { seed: 5 });
    const path = w.fabric.route(0, 8, w.t[0]!.entropyTo(8));
    w.fabric.fault(path[1]!, 0, { kind: 'loss', probability: 0.02 });
    const { completions, delivered } = transfer(w, [2_000_000]);
    expect(completions).toHaveLength(1);
    expect(completions[0]!.ok).toBe(true);
    const stats = w.t[0]!.stats();
    expect(stats['retransmissions']).toBeGreaterThan(0);
    if (kind === 'tcp-1ms') expect(stats['fastRetransmits']).toBeGreaterThan(0);
    else expect(w.t[8]!.stats()['naksSent']).toBeGreaterThan(0);
    const bytes = new Uint8Array(2_000_000);
    let next = 0;
    for (const s of delivered) {
      expect(s.offset).toBe(next);
      bytes.set(s.payload!, s.offset);
      next += s.length;
    }
    expect(sameBytes(bytes, payloadOf(2_000_000, 0))).toBe(true);
  });

  it('refuses bad posts with typed error completions, exactly once each', () => {
    const w = world(kind);
    const got: TransferCompletion[] = [];
    const onComplete = (c: TransferCompletion) => got.push(c);
    w.t[0]!.post({ id: 1, dst: 0, bytes: 10, onComplete });
    w.t[0]!.post({ id: 2, dst: 999, bytes: 10, onComplete });
    w.t[0]!.post({ id: 3, dst: 8, bytes: MESSAGE_BYTES_MAX + 1, onComplete });
    w.t[0]!.post({ id: 4, dst: 8, bytes: 10, payload: new Uint8Array(9), onComplete });
    w.t[0]!.post({ id: 5, dst: 8, bytes: -1, onComplete });
    w.fabric.run({ untilPs: PS_PER_MS });
    expect(got.map((c) => [c.id, c.ok, c.code])).toEqual([
      [1, false, 'BAD_ADDRESS'],
      [2, false, 'BAD_ADDRESS'],
      [3, false, 'MSG_TOO_LARGE'],
      [4, false, 'BAD_PAYLOAD'],
      [5, false, 'BAD_LENGTH'],
    ]);
  });

  it('drops malformed packets injected on the wire without crashing and without delivery', () => {
    const w = world(kind);
    const delivered: DeliveredSegment[] = [];
    w.t[8]!.onDeliver((s) => delivered.push(s));
    for (const header of [null, 42, { proto: kind === 'gbn' ? 'gbn' : 'tcp', seq: -1 }, { proto: 'other' }]) {
      w.fabric.send({ src: 3, dst: 8, entropy: 1, kind: 'data', wireBytes: 100, header });
      w.fabric.send({ src: 3, dst: 8, entropy: 1, kind: 'ack', wireBytes: 64, header });
    }
    w.fabric.run({ untilPs: PS_PER_MS });
    expect(delivered).toEqual([]);
    expect(w.t[8]!.stats()['droppedMalformed']).toBe(8);
  });

  it('with the secure link, corrupted packets fail the tag, are retransmitted, and the bytes arrive intact', () => {
    const w = world(kind, { protect: true });
    const path = w.fabric.route(0, 8, w.t[0]!.entropyTo(8));
    w.fabric.fault(path[2]!, 0, { kind: 'corrupt', probability: 0.05 });
    const { completions, delivered } = transfer(w, [400_000]);
    expect(completions[0]?.ok).toBe(true);
    expect(w.t[8]!.stats()['droppedUnauthentic']).toBeGreaterThan(0);
    const sent = payloadOf(400_000, 0);
    expect(delivered.reduce((n, s) => n + s.length, 0)).toBe(400_000);
    for (const s of delivered) expect(sameBytes(s.payload, sent.subarray(s.offset, s.offset + s.length))).toBe(true);
    // Negative control: without the secure link the same fault is caught only as a corrupt frame.
    const plain = world(kind);
    plain.fabric.fault(plain.fabric.route(0, 8, plain.t[0]!.entropyTo(8))[2]!, 0, { kind: 'corrupt', probability: 0.05 });
    transfer(plain, [400_000]);
    expect(plain.t[8]!.stats()['droppedUnauthentic']).toBe(0);
    expect(plain.t[8]!.stats()['droppedCorrupt']).toBeGreaterThan(0);
  });
});

describe('single-path failure behaviour', () => {
  it('a TCP-like flow pinned to a black hole stalls until routing converges, then completes', () => {
    const w = world('tcp-1ms');
    const path = w.fabric.route(0, 8, w.t[0]!.entropyTo(8));
    const failAt = 100 * PS_PER_US;
    w.fabric.fault(path[1]!, failAt, { kind: 'down' });
    w.fabric.routingConverge(path[1]!, failAt, 50 * PS_PER_MS);
    const { completions } = transfer(w, [8_000_000]);
    expect(completions[0]?.ok).toBe(true);
    // Retransmissions go to the same dead path: nothing completes before routing removes it.
    expect(completions[0]!.completedPs).toBeGreaterThan(failAt + 50 * PS_PER_MS);
    expect(w.t[0]!.stats()['timeouts']).toBeGreaterThan(3);
  });

  it('the 200 ms RTO_min variant waits for its first timeout even after routing converged', () => {
    const fabric = createFabric({ ...DEFAULT_FABRIC_CONFIG, seed: 3 });
    const t = Array.from({ length: fabric.hostCount }, (_, h) => createTcpLikeTransport(fabric, h, { rtoMinPs: 200 * PS_PER_MS }));
    expect(t[0]!.kind).toBe('tcp');
    const path = fabric.route(0, 8, t[0]!.entropyTo(8));
    fabric.fault(path[1]!, 100 * PS_PER_US, { kind: 'down' });
    fabric.routingConverge(path[1]!, 100 * PS_PER_US, 50 * PS_PER_MS);
    let done: TransferCompletion | undefined;
    t[0]!.post({ id: 0, dst: 8, bytes: 8_000_000, onComplete: (c) => (done = c) });
    fabric.run({ untilPs: 5_000 * PS_PER_MS });
    expect(done?.ok).toBe(true);
    expect(done!.completedPs).toBeGreaterThan(200 * PS_PER_MS);
  });

  it('go-back-N never has more than its window outstanding and resends from the hole', () => {
    const w = world('gbn');
    let sent = 0;
    let maxAhead = 0;
    let acked = 0;
    w.fabric.tap(w.fabric.route(0, 8, 0)[0]!, (p) => {
      if (p.kind !== 'data') return;
      sent++;
      const seq = (p.header as { seq: number }).seq;
      maxAhead = Math.max(maxAhead, seq - acked);
    });
    w.fabric.tap(w.fabric.route(8, 0, 0).at(-1)!, (p) => {
      if (p.kind === 'ack') acked = Math.max(acked, (p.header as { ack: number }).ack);
    });
    const path = w.fabric.route(0, 8, w.t[0]!.entropyTo(8));
    w.fabric.fault(path[1]!, 0, { kind: 'loss', probability: 0.01 });
    const { completions } = transfer(w, [3_000_000]);
    expect(completions[0]?.ok).toBe(true);
    expect(maxAhead).toBeLessThanOrEqual(GBN_WINDOW_PACKETS);
    // Go-back-N resends the whole window after a loss: far more than one packet per loss.
    expect(w.t[0]!.stats()['retransmissions']).toBeGreaterThan(3 * (w.fabric.stats().packetsDroppedFault || 1));
    expect(sent).toBeGreaterThan(Math.ceil(3_000_000 / 8192));
  });

  it('go-back-N on a black hole fails typed after its retry budget instead of hanging', () => {
    const w = world('gbn');
    const path = w.fabric.route(0, 8, w.t[0]!.entropyTo(8));
    w.fabric.fault(path[1]!, 0, { kind: 'down' });
    const { completions } = transfer(w, [100_000, 100_000]);
    expect(completions.map((c) => [c.ok, c.code])).toEqual([
      [false, 'RETRY_EXCEEDED'],
      [false, 'RETRY_EXCEEDED'],
    ]);
  });
});
