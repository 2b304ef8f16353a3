// Fabric-level behaviour that makes the model SRD rather than a toy (research/efa-srd.md §6), in small versions.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FABRIC_CONFIG } from '../../src/efa/net/index.ts';
import { createDomainProtectors } from '../../src/efa/secure/index.ts';
import type { SrdOptions } from '../../src/efa/srd/index.ts';
import { linkId, post, world } from './srd-helpers.ts';

const MB2 = 2 * 1024 * 1024;

/** E1(a): 8 hosts on leaf 0 each send 2 MB to a permutation of leaf 1; FCTs in µs. */
function permutationFcts(seed: number, options: SrdOptions): number[] {
  const w = world({ seed }, options);
  for (let i = 0; i < 8; i++) post(w, i, 8 + ((i * 3 + seed) % 8), i, MB2);
  w.fabric.run();
  return [...w.completions.values()].map((c) => {
    expect(c.ok).toBe(true);
    return (c.completedPs - c.postedPs) / 1e6;
  });
}

describe('SRD behaviour on the fabric', () => {
  it('E1: spraying beats ECMP collisions — max sprayed FCT below the mean single-path FCT', () => {
    const idealUs = (MB2 * 8) / (DEFAULT_FABRIC_CONFIG.linkGbps * 1000) + 16;
    const sprayed = [...permutationFcts(1, {}), ...permutationFcts(2, {})];
    const single = [...permutationFcts(1, { entropyValues: 1 }), ...permutationFcts(2, { entropyValues: 1 })];
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const median = [...sprayed].sort((a, b) => a - b)[sprayed.length >> 1]!;
    expect(median / idealUs).toBeLessThan(1.3);
    expect(Math.max(...sprayed)).toBeLessThan(mean(single));
    // P=1 reproduces the collision penalty (the ECMP model is right): some flows share a spine.
    expect(Math.max(...single) / idealUs).toBeGreaterThan(1.6);
  });

  it('E4: incast with CC finishes near ideal with far fewer drops than spraying without CC', () => {
    const run = (options: SrdOptions) => {
      const w = world({ topology: { kind: 'leaf-spine', leaves: 3, spines: 8, hostsPerLeaf: 8 } }, options);
      for (let i = 0; i < 8; i++) post(w, 8 + i * 2, 0, i, 1 << 20);
      w.fabric.run();
      const done = [...w.completions.values()];
      expect(done.every((c) => c.ok)).toBe(true);
      return { jctUs: Math.max(...done.map((c) => c.completedPs)) / 1e6, drops: w.fabric.stats().packetsDroppedQueue };
    };
    const idealUs = (8 * (1 << 20) * 8) / 100_000;
    const cc = run({});
    const noCc = run({ congestionControl: false });
    expect(cc.jctUs / idealUs).toBeLessThan(1.4);
    expect(cc.drops * 3).toBeLessThan(noCc.drops);
  });

  it('CC fairness: a late comer to a busy bottleneck gets its share (the first flow cuts, the second is not starved)', () => {
    const w = world({ topology: { kind: 'leaf-spine', leaves: 3, spines: 8, hostsPerLeaf: 8 } });
    const bytes = new Map<number, number>();
    const fromPs = 3_000_000_000;
    const toPs = 5_000_000_000;
    w.transports[0]!.onDeliver((seg) => {
      if (seg.atPs >= fromPs && seg.atPs < toPs) bytes.set(seg.src, (bytes.get(seg.src) ?? 0) + seg.length);
    });
    post(w, 8, 0, 1, 64 << 20);
    w.fabric.run({ untilPs: 1_000_000_000 });
    post(w, 16, 0, 2, 64 << 20);
    w.fabric.run({ untilPs: toPs });
    const first = bytes.get(8) ?? 0;
    const late = bytes.get(16) ?? 0;
    // Equal shares give 1; without the cut on the first flow (or with the late comer's queue taken for its base RTT)
    // one of them would hold most of the link.
    expect(late / first).toBeGreaterThan(0.7);
    expect(late / first).toBeLessThan(1.4);
    // Together they keep the receiver's link busy.
    expect(((first + late) * 8) / ((toPs - fromPs) / 1000)).toBeGreaterThan(90);
  });

  it('an encrypting sender at line rate paces the bytes its link carries (the seal counted): no queue at its own NIC', () => {
    const domain = createDomainProtectors({ hosts: Array.from({ length: 16 }, (_, h) => h), jobId: 'pace', domainSecret: new Uint8Array(32).fill(7), options: { mode: 'accounted' } });
    const w = world({}, (h) => ({ protector: domain.get(h)! }));
    // The host link has no buffer statistics; a tap sees when each packet starts on the wire, against when the NIC
    // handed it over (send time + NIC latency): the difference is the wait behind earlier packets.
    let waitPsMax = 0;
    w.fabric.tap(linkId(w.fabric, 'h1->leaf0'), (p, startPs) => {
      if (p.kind === 'data') waitPsMax = Math.max(waitPsMax, startPs - (w.fabric.now + DEFAULT_FABRIC_CONFIG.nicLatencyPs));
    });
    post(w, 1, 9, 1, 16 << 20);
    w.fabric.run();
    expect(w.completions.get(1)?.ok).toBe(true);
    // Paced on the 8256 B the sender builds while the link carries 8288 B, the wait grew by 0.32 ns a packet (≈ 0.65 µs
    // over 2048 packets); paced on what the link carries, a packet never waits.
    expect(waitPsMax).toBeLessThan(1000);
  });

  it('random loss on every path is not a gray link: fewer of its losses sit their EV out', () => {
    const w = world({ seed: 3 });
    for (const link of w.fabric.links()) w.fabric.fault(link.id, 0, { kind: 'loss', probability: 0.0025 });
    post(w, 1, 9, 1, 32 * 1024 * 1024);
    w.fabric.run();
    expect(w.completions.get(1)?.ok).toBe(true);
    const stats = w.transports[1]!.stats();
    expect(stats.gapLosses!).toBeGreaterThan(20);
    // Compared with the mean of the per-EV averages every loss penalised its EV (38 of 38 here); against the context's
    // loss rate about 7 in 10 still do (26 of 37: one loss lifts its EV's average to 6%, just over 5 × a 1% rate).
    // Only partly fixed — the gray-link test below needs a single loss on a lossy path to count.
    expect(stats.pathPenalties!).toBeLessThan(0.85 * stats.gapLosses!);
  });

  it('gray link: EVs crossing a lossy spine link lose most of their share; loss does not cut the rate', () => {
    const run = (loss: number) => {
      const w = world({ seed: 2 });
      const gray = linkId(w.fabric, 'spine2->leaf1');
      if (loss > 0) w.fabric.fault(gray, 0, { kind: 'loss', probability: loss });
      let onGray = 0;
      let total = 0;
      w.fabric.tap(gray, (p) => {
        if (p.kind === 'data' && p.src === 1) onGray++;
      });
      w.fabric.tap(linkId(w.fabric, 'h1->leaf0'), () => total++);
      post(w, 1, 9, 1, 10 * 1024 * 1024);
      w.fabric.run();
      expect(w.completions.get(1)?.ok).toBe(true);
      return { share: onGray / total, stats: w.transports[1]!.stats() };
    };
    const clean = run(0);
    const gray = run(0.05);
    expect(gray.share).toBeLessThan(clean.share / 2);
    expect(gray.stats.retransmissions).toBeGreaterThan(0);
    expect(gray.stats.rateCuts).toBe(0);
  });
});
