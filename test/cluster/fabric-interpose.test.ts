// The fabric's interpose hook (added for the cluster's network attacker): what enters a link is what the
// interposer returns, checked like a NIC's own send, deterministic, and free when unused.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FABRIC_CONFIG, createFabric, type NetFabric, type Packet } from '../../src/efa/index.ts';

function fabric(): NetFabric {
  return createFabric({ ...DEFAULT_FABRIC_CONFIG, topology: { kind: 'leaf-spine', leaves: 2, spines: 2, hostsPerLeaf: 2 }, seed: 3 });
}

function packet(src: number, dst: number, n: number): Packet {
  return { src, dst, entropy: n, kind: 'data', wireBytes: 200, header: { n }, payload: Uint8Array.of(n, n, n) };
}

/** Sends `count` packets 0 → 3 and returns what host 3 received (header n and payload) and the fabric's digest. */
function exchange(setup: (f: NetFabric) => void, count = 4): { received: { n: number; payload: number[] }[]; digest: string } {
  const f = fabric();
  const received: { n: number; payload: number[] }[] = [];
  f.attach(3, (p) => received.push({ n: (p.header as { n: number }).n, payload: [...(p.payload ?? [])] }));
  setup(f);
  for (let n = 0; n < count; n++) f.send(packet(0, 3, n));
  f.run();
  return { received, digest: f.digest() };
}

describe('Fabric.interpose', () => {
  it('an identity interposer changes nothing, not even the trace digest', () => {
    const plain = exchange(() => undefined);
    const identity = exchange((f) => f.interpose!(0, (p) => [p]));
    expect(identity).toEqual(plain);
    expect(plain.received.map((r) => r.n)).toEqual([0, 1, 2, 3]);
  });

  it('drops, modifies and duplicates what enters the link; a tap on it sees the result', () => {
    const tapped: number[] = [];
    const result = exchange((f) => {
      f.interpose!(0, (p, atPs) => {
        expect(atPs).toBeGreaterThanOrEqual(f.now);
        const n = (p.header as { n: number }).n;
        if (n === 0) return [];
        if (n === 1) return [{ ...p, payload: Uint8Array.of(9, 9, 9) }];
        if (n === 2) return [p, p];
        return [p];
      });
      f.tap(0, (p) => tapped.push((p.header as { n: number }).n));
    });
    expect(result.received).toEqual([
      { n: 1, payload: [9, 9, 9] },
      { n: 2, payload: [2, 2, 2] },
      { n: 2, payload: [2, 2, 2] },
      { n: 3, payload: [3, 3, 3] },
    ]);
    expect(tapped).toEqual([1, 2, 2, 3]);
  });

  it('works on switch ports as the packet reaches them (hosts 0 and 3 are on different leaves)', () => {
    const hops: string[] = [];
    const result = exchange((f) => {
      for (const link of f.links().filter((l) => l.tier === 'leaf-spine')) {
        f.interpose!(link.id, (p, atPs) => {
          hops.push(link.name);
          expect(atPs).toBe(f.now);
          return [{ ...p, payload: Uint8Array.of(7) }];
        });
      }
    }, 1);
    expect(hops).toEqual([expect.stringMatching(/^leaf0->spine/), expect.stringMatching(/^spine\d->leaf1$/)]);
    expect(result.received).toEqual([{ n: 0, payload: [7] }]);
  });

  it('chains interposers on one link in the order added', () => {
    const order: string[] = [];
    exchange((f) => {
      f.interpose!(0, (p) => (order.push('first'), [p]));
      f.interpose!(0, (p) => (order.push('second'), [p]));
    }, 1);
    expect(order).toEqual(['first', 'second']);
  });

  it('holds what an interposer returns to the rules of a send (typed errors), and bounds interposers', () => {
    for (const bad of [
      () => [{ ...packet(0, 3, 0), dst: 99 }],
      () => [{ ...packet(0, 3, 0), wireBytes: 1_000_000 }],
      () => [{ ...packet(0, 3, 0), entropy: -1 }],
      () => [{ ...packet(0, 3, 0), kind: 'nak' }],
      () => new Array(65).fill(packet(0, 3, 0)),
      () => 'not packets',
    ]) {
      const f = fabric();
      f.attach(3, () => undefined);
      f.interpose!(0, bad as never);
      // On a host uplink the interposer runs as the NIC sends; on a switch port, during run().
      expect(() => {
        f.send(packet(0, 3, 0));
        f.run();
      }).toThrow(expect.objectContaining({ code: expect.stringMatching(/^EFA_BAD_(PACKET|HOST)$/) }));
    }
    const f = fabric();
    expect(() => f.interpose!(999, (p) => [p])).toThrow(expect.objectContaining({ code: 'EFA_BAD_LINK' }));
    for (let i = 0; i < 16; i++) f.interpose!(1, (p) => [p]);
    expect(() => f.interpose!(1, (p) => [p])).toThrow(expect.objectContaining({ code: 'EFA_BAD_INTERPOSER' }));
  });
});
