import { describe, expect, it } from 'vitest';
import type { Packet, PacketProtector } from '../../src/efa/contracts.ts';
import { DEFAULT_FABRIC_CONFIG } from '../../src/efa/net/index.ts';
import { createSrdTransport, SRD_CONSTANTS } from '../../src/efa/srd/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { checkExactlyOnce, linkId, pattern, post, world } from './srd-helpers.ts';

const MB2 = 2 * 1024 * 1024;
const c = DEFAULT_FABRIC_CONFIG;
/** Ideal FCT (research §6): bytes on the wire at line rate plus the unloaded cross-leaf RTT-ish base. */
function idealPs(bytes: number): number {
  const packets = Math.ceil(bytes / c.mtuPayloadBytes);
  const wire = bytes + packets * (c.headerBytes - SRD_CONSTANTS.CRYPTO_OVERHEAD_BYTES);
  const psPerByte = 8000 / c.linkGbps;
  const oneWay = 2 * c.nicLatencyPs + 4 * c.propagationPs + 3 * c.switchLatencyPs + 4 * (c.mtuPayloadBytes + c.headerBytes) * psPerByte;
  const ackBack = 2 * c.nicLatencyPs + 4 * c.propagationPs + 3 * c.switchLatencyPs + 4 * c.ackBytes * psPerByte;
  return wire * psPerByte + oneWay + ackBack;
}

describe('SRD: clean fabric', () => {
  it('one 2 MB message completes near ideal FCT and every byte arrives once, intact', () => {
    const w = world();
    const payload = pattern(1, MB2);
    post(w, 1, 9, 1, MB2, payload);
    w.fabric.run();
    const done = w.completions.get(1)!;
    expect(done.ok).toBe(true);
    const fct = done.completedPs - done.postedPs;
    expect(fct / idealPs(MB2)).toBeGreaterThan(0.99);
    expect(fct / idealPs(MB2)).toBeLessThan(1.1);
    expect(checkExactlyOnce(w, 1, 1, MB2, payload)).toBeNull();
    const stats = w.transports[1]!.stats();
    expect(stats.retransmissions).toBe(0);
    expect(stats.bytesAcked).toBe(MB2);
  });

  it('sprays over many spines; P=1 keeps one route', () => {
    for (const [entropyValues, spinesMin, spinesMax] of [[32, 6, 8], [1, 1, 1]] as const) {
      const w = world({}, { entropyValues });
      const used = new Set<number>();
      for (let s = 0; s < 8; s++) {
        w.fabric.tap(linkId(w.fabric, `leaf0->spine${s}`), (p) => {
          if (p.kind === 'data') used.add(s);
        });
      }
      post(w, 2, 12, 1, 512 * 1024);
      w.fabric.run();
      expect(w.completions.get(1)?.ok).toBe(true);
      expect(used.size).toBeGreaterThanOrEqual(spinesMin);
      expect(used.size).toBeLessThanOrEqual(spinesMax);
    }
  });

  it('zero-byte and sub-MTU messages, many at once, to several peers', () => {
    const w = world();
    const sizes = [0, 1, 100, 8192, 8193, 70_000];
    sizes.forEach((bytes, i) => post(w, 0, 8 + i, 10 + i, bytes, pattern(i, bytes)));
    w.fabric.run();
    sizes.forEach((bytes, i) => {
      expect(w.completions.get(10 + i)?.ok).toBe(true);
      expect(checkExactlyOnce(w, 0, 10 + i, bytes, pattern(i, bytes))).toBeNull();
    });
  });

  it('bad input: typed errors at post; oversized messages complete with MSG_TOO_LARGE', () => {
    const w = world();
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return isEmuError(e) ? e.code : 'untyped';
      }
      return 'none';
    };
    expect(code(() => post(w, 0, 0, 1, 10))).toBe('EFA_BAD_MESSAGE');
    expect(code(() => post(w, 0, 99, 1, 10))).toBe('EFA_BAD_MESSAGE');
    expect(code(() => post(w, 0, 1, 1, 10, new Uint8Array(9)))).toBe('EFA_BAD_MESSAGE');
    expect(code(() => post(w, 0, 1, 1, -1))).toBe('EFA_BAD_MESSAGE');
    expect(code(() => createSrdTransport(w.fabric, 0, { entropyValues: 65 }))).toBe('EFA_BAD_OPTION');
    post(w, 0, 1, 2, SRD_CONSTANTS.MESSAGE_BYTES_MAX + 1);
    expect(w.completions.has(2)).toBe(false);
    w.fabric.run();
    expect(w.completions.get(2)).toMatchObject({ ok: false, code: 'MSG_TOO_LARGE' });
  });
});

describe('SRD: loss recovery', () => {
  it('black hole on a spine: no application error, RTO + reroute + quarantine recover it', () => {
    const w = world();
    // Kill one spine's downlink to the destination leaf before traffic starts: routing is never told.
    w.fabric.fault(linkId(w.fabric, 'spine3->leaf1'), 20_000_000, { kind: 'down' });
    const payload = pattern(5, MB2);
    post(w, 1, 9, 5, MB2, payload);
    w.fabric.run();
    const done = w.completions.get(5)!;
    expect(done.ok).toBe(true);
    expect(checkExactlyOnce(w, 1, 5, MB2, payload)).toBeNull();
    const stats = w.transports[1]!.stats();
    expect(stats.timeouts).toBeGreaterThan(0);
    expect(stats.pathsQuarantined).toBeGreaterThan(0);
    expect(w.fabric.stats().packetsDroppedFault).toBeGreaterThan(0);
    // Recovery costs about an RTO or two, not a routing convergence.
    expect(done.completedPs - done.postedPs).toBeLessThan(idealPs(MB2) + 4 * SRD_CONSTANTS.RTO_MIN_PS);
  });

  it('ablation: without reroute-on-retransmit a black-holed EV keeps eating its retransmissions', () => {
    const run = (rerouteOnRetransmit: boolean) => {
      const w = world({}, { rerouteOnRetransmit });
      w.fabric.fault(linkId(w.fabric, 'spine3->leaf1'), 0, { kind: 'down' });
      post(w, 1, 9, 1, 512 * 1024);
      w.fabric.run();
      return { done: w.completions.get(1)!, stats: w.transports[1]!.stats() };
    };
    const on = run(true);
    const off = run(false);
    expect(on.done.ok).toBe(true);
    expect(off.done).toMatchObject({ ok: false, code: 'REMOTE_UNRESPONSIVE' });
    expect(off.stats.timeouts).toBeGreaterThanOrEqual(8);
  });

  it('random loss: the FIFO-gap detector finds most losses without timers; with it off, RTOs do', () => {
    const run = (pathGapDetector: boolean) => {
      const w = world({ seed: 3 }, { pathGapDetector });
      for (let s = 0; s < 8; s++) w.fabric.fault(linkId(w.fabric, `spine${s}->leaf1`), 0, { kind: 'loss', probability: 0.02 });
      post(w, 1, 9, 1, MB2);
      w.fabric.run();
      expect(w.completions.get(1)?.ok).toBe(true);
      expect(checkExactlyOnce(w, 1, 1, MB2)).toBeNull();
      return { stats: w.transports[1]!.stats(), fct: w.completions.get(1)!.completedPs };
    };
    const on = run(true);
    const off = run(false);
    expect(on.stats.gapLosses).toBeGreaterThan(0);
    expect(on.stats.timeouts).toBeLessThan(on.stats.gapLosses!);
    expect(off.stats.gapLosses).toBe(0);
    expect(off.stats.timeouts).toBeGreaterThan(0);
    // Loss is not a congestion signal: goodput stays near line rate.
    expect(on.fct / idealPs(MB2)).toBeLessThan(1.25);
  });

  it('lost ACKs: retransmissions reach the receiver as duplicates, are filtered and re-ACKed', () => {
    const w = world({ seed: 4 });
    // Every ACK to host 1 is lost for the first 150 µs, after all data has arrived.
    const ackHop = linkId(w.fabric, 'leaf0->h1');
    w.fabric.fault(ackHop, 0, { kind: 'down' });
    w.fabric.fault(ackHop, 150_000_000, { kind: 'up' });
    const payload = pattern(2, 64 * 1024);
    post(w, 1, 9, 2, 64 * 1024, payload);
    w.fabric.run();
    expect(w.completions.get(2)?.ok).toBe(true);
    expect(checkExactlyOnce(w, 1, 2, 64 * 1024, payload)).toBeNull();
    const rx = w.transports[9]!.stats();
    expect(rx.duplicatesReceived).toBeGreaterThan(0);
    expect(rx.packetsDelivered).toBe(8);
    expect(w.transports[1]!.stats().timeouts).toBeGreaterThan(0);
  });

  it('RTO backs off ×2 from RTO_min to RTO_max; the 8th timeout completes with REMOTE_UNRESPONSIVE', () => {
    const w = world();
    w.fabric.fault(linkId(w.fabric, 'leaf1->h9'), 0, { kind: 'down' });
    post(w, 1, 9, 7, 100);
    post(w, 1, 10, 8, 100); // another peer on the same host is unaffected
    w.fabric.run();
    const failed = w.completions.get(7)!;
    expect(failed).toMatchObject({ ok: false, code: 'REMOTE_UNRESPONSIVE' });
    let expected = 0;
    for (let i = 0; i < SRD_CONSTANTS.TIMEOUTS_PER_PSN_MAX; i++) {
      expected += Math.min(SRD_CONSTANTS.RTO_MAX_PS, SRD_CONSTANTS.RTO_MIN_PS * 2 ** i);
    }
    expect(expected).toBe(13_128_000_000);
    expect(failed.completedPs - failed.postedPs).toBe(expected);
    expect(w.completions.get(8)?.ok).toBe(true);
    const stats = w.transports[1]!.stats();
    expect(stats.timeouts).toBe(8);
    expect(stats.remoteUnresponsive).toBe(1);
    expect(stats.messagesFailed).toBe(1);
  });

  it('after a work request is given up, the receiver window moves on and later messages to that peer complete', () => {
    const w = world();
    const hole = linkId(w.fabric, 'leaf1->h9');
    w.fabric.fault(hole, 0, { kind: 'down' });
    w.fabric.fault(hole, 14_000_000_000, { kind: 'up' });
    post(w, 1, 9, 1, 30_000);
    w.fabric.run({ untilPs: 15_000_000_000 });
    expect(w.completions.get(1)).toMatchObject({ ok: false, code: 'REMOTE_UNRESPONSIVE' });
    const payload = pattern(2, 100_000);
    post(w, 1, 9, 2, 100_000, payload);
    w.fabric.run();
    expect(w.completions.get(2)?.ok).toBe(true);
    expect(checkExactlyOnce(w, 1, 2, 100_000, payload)).toBeNull();
    // The given-up message's packets never reached the receiver, so none of it was delivered.
    expect(w.segments.has('1/1')).toBe(false);
  });

  it('RNR / BAD_QP drop codes fail only their work request, without retry', () => {
    const w = world({}, (host) =>
      host === 9 ? { admit: (s) => (s.messageId === 2 ? 'RNR' : s.messageId === 3 ? 'BAD_QP' : 'OK') } : {},
    );
    post(w, 1, 9, 1, 50_000);
    post(w, 1, 9, 2, 50_000);
    post(w, 1, 9, 3, 100);
    post(w, 1, 9, 4, 50_000);
    w.fabric.run();
    expect(w.completions.get(1)?.ok).toBe(true);
    expect(w.completions.get(2)).toMatchObject({ ok: false, code: 'RNR' });
    expect(w.completions.get(3)).toMatchObject({ ok: false, code: 'BAD_QP' });
    expect(w.completions.get(4)?.ok).toBe(true);
    expect(w.segments.has('1/2')).toBe(false);
    expect(w.segments.has('1/3')).toBe(false);
    expect(w.transports[1]!.stats().retransmissions).toBe(0);
  });
});

describe('SRD: hostile input on the wire', () => {
  it('forged or malformed headers are counted and dropped, never delivered, never crash the run', () => {
    const w = world();
    const base = { src: 3, dst: 9, wireBytes: 200 };
    const good = { t: 'srd-data', psn: 0, basePsn: 0, ev: 1, pathSeq: 0, txPs: 0, msgId: 1, offset: 0, length: 100, msgBytes: 100 };
    const bad = [
      { ...good, ev: 2 ** 40 },
      { ...good, msgId: Number.NaN },
      { ...good, psn: -1 },
      { ...good, offset: 50 }, // offset + length beyond the message
      { t: 'srd-ack', psn: 0, cumPsn: 0, ev: 1, pathSeq: 0, txPs: 0, drop: 7 },
      'garbage',
      null,
    ];
    for (const header of bad) w.fabric.send({ ...base, entropy: 1, kind: 'data', header });
    w.fabric.send({ ...base, entropy: 1, kind: 'data', header: good, payload: new Uint8Array(99) }); // wrong length
    w.fabric.send({ ...base, entropy: 1, kind: 'ack', header: { ...good } });
    w.fabric.run();
    expect(w.transports[9]!.stats().malformed).toBe(bad.length + 2);
    expect(w.segments.size).toBe(0);
    // An ACK for a PSN this host never sent is ignored.
    w.fabric.send({ ...base, entropy: 1, kind: 'ack', header: { t: 'srd-ack', psn: 5, cumPsn: 9, ev: 1, pathSeq: 0, txPs: 0, drop: 0 } });
    w.fabric.run();
    expect(w.transports[9]!.stats().strayAcks).toBe(1);
  });
});

describe('SRD: fat tree', () => {
  it('k=8: cross-pod, same-pod and same-edge messages arrive exactly once', () => {
    const w = world({ topology: { kind: 'fat-tree', k: 8 } });
    const pairs = [[0, 127], [5, 20], [64, 65], [100, 3]] as const;
    pairs.forEach(([src, dst], id) => post(w, src, dst, id, 200_000, pattern(id, 200_000)));
    w.fabric.run();
    pairs.forEach(([src], id) => {
      expect(w.completions.get(id)?.ok).toBe(true);
      expect(checkExactlyOnce(w, src, id, 200_000, pattern(id, 200_000))).toBeNull();
    });
  });
});

describe('SRD: protector and corruption', () => {
  /** A toy protector: seals by wrapping the header with a counter, refuses every 7th arrival. */
  function toyProtector(): PacketProtector & { seals: number } {
    let counter = 0;
    let opens = 0;
    const p = {
      seals: 0,
      seal(packet: Packet): Packet {
        p.seals++;
        return { ...packet, header: { inner: packet.header, counter: counter++ } };
      },
      open(packet: Packet): Packet | null {
        if (++opens % 7 === 0 || packet.corrupted === true) return null;
        return { ...packet, header: (packet.header as { inner: unknown }).inner };
      },
      stats: () => ({ opens }),
    };
    return p;
  }

  it('seals every transmission (retransmissions and ACKs too); a refused open is a loss SRD repairs', () => {
    const protectors = new Map<number, ReturnType<typeof toyProtector>>();
    const w = world({}, (h) => {
      const p = toyProtector();
      protectors.set(h, p);
      return { protector: p };
    });
    const payload = pattern(3, 400_000);
    post(w, 1, 9, 3, 400_000, payload);
    w.fabric.run();
    expect(w.completions.get(3)?.ok).toBe(true);
    expect(checkExactlyOnce(w, 1, 3, 400_000, payload)).toBeNull();
    const tx = w.transports[1]!.stats();
    const rx = w.transports[9]!.stats();
    expect(rx.protectorDrops).toBeGreaterThan(0);
    expect(tx.retransmissions).toBeGreaterThan(0);
    expect(protectors.get(1)!.seals).toBe(tx.dataPacketsSent);
    expect(protectors.get(9)!.seals).toBe(rx.acksSent);
  });

  it('without a protector, corrupted frames are dropped (frame check), never delivered', () => {
    const w = world({ seed: 9 });
    for (let s = 0; s < 8; s++) w.fabric.fault(linkId(w.fabric, `spine${s}->leaf1`), 0, { kind: 'corrupt', probability: 0.05 });
    const payload = pattern(4, 500_000);
    post(w, 1, 9, 4, 500_000, payload);
    w.fabric.run();
    expect(w.completions.get(4)?.ok).toBe(true);
    expect(checkExactlyOnce(w, 1, 4, 500_000, payload)).toBeNull();
    expect(w.transports[9]!.stats().corruptDrops).toBeGreaterThan(0);
  });
});

describe('SRD: determinism', () => {
  function lossyDigest(seed: number) {
    const w = world({ seed });
    for (let s = 0; s < 8; s++) w.fabric.fault(linkId(w.fabric, `leaf0->spine${s}`), 0, { kind: 'loss', probability: 0.03 });
    w.fabric.fault(linkId(w.fabric, 'leaf1->h12'), 0, { kind: 'reorder', probability: 0.2, extraPs: 3_000_000 });
    for (let i = 0; i < 4; i++) post(w, i, 8 + i * 2, i, 600_000);
    w.fabric.run();
    return { digest: w.fabric.digest(), stats: w.transports.map((t) => t.stats()), done: [...w.completions.values()] };
  }

  it('same seed → same digest, counters and completion times; another seed differs', () => {
    const a = lossyDigest(11);
    const b = lossyDigest(11);
    expect(b).toEqual(a);
    expect(a.done).toHaveLength(4);
    expect(a.done.every((d) => d.ok)).toBe(true);
    expect(lossyDigest(12).digest).not.toBe(a.digest);
  });
});
