// The endpoint API and the ring all-reduce over the real fabric and SRD transport, with faults.
import { describe, expect, it } from 'vitest';
import type { Fabric } from '../../src/efa/contracts.ts';
import { createFabric, DEFAULT_FABRIC_CONFIG } from '../../src/efa/net/index.ts';
import { createSrdTransport } from '../../src/efa/srd/index.ts';
import { FI_ADDR_UNSPEC, createDomain, type CqEntry, type Domain, type Endpoint } from '../../src/efa/api/index.ts';
import { ringAllReduceReference, runRingAllReduce } from '../../src/efa/collective/index.ts';

interface World {
  readonly fabric: Fabric;
  readonly domain: Domain;
  readonly srdStats: () => Record<string, number>;
}

/** 2 leaves × 8 spines × 8 hosts (§5.2), SRD on every host, i.i.d. loss on every link. */
function world(seed: number, lossProbability: number): World {
  const fabric = createFabric({ ...DEFAULT_FABRIC_CONFIG, seed });
  for (const link of fabric.links()) {
    if (lossProbability > 0) fabric.fault(link.id, 0, { kind: 'loss', probability: lossProbability });
  }
  const transports = new Map<number, ReturnType<typeof createSrdTransport>>();
  const domain = createDomain({
    fabric,
    transportFor: (host) => {
      const t = createSrdTransport(fabric, host);
      transports.set(host, t);
      return t;
    },
  });
  const srdStats = (): Record<string, number> => {
    const sum: Record<string, number> = {};
    for (const t of transports.values()) for (const [k, v] of Object.entries(t.stats())) sum[k] = (sum[k] ?? 0) + v;
    return sum;
  };
  return { fabric, domain, srdStats };
}

function readOk(ep: Endpoint): CqEntry[] {
  const out: CqEntry[] = [];
  for (let batch = ep.cq.read(512); batch.length > 0; batch = ep.cq.read(512)) out.push(...batch);
  return out;
}

function floats(ranks: number, length: number, seed: number): Float32Array[] {
  let x = seed >>> 0;
  return [...Array(ranks).keys()].map(() => Float32Array.from({ length }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return ((x / 2 ** 32) - 0.5) * 10 ** ((x % 7) - 3);
  }));
}

describe('endpoint API over SRD', () => {
  it('SAS: tagged sends sprayed over 8 spines with 1% loss on every link complete in send order', () => {
    // Scaled down from the 10,000 × 4–64 KiB check of research/efa-srd.md §6: 2,000 messages, eager to long-CTS.
    const count = 2000;
    const sizes = [64, 1024, 4096, 20_000, 8000, 300, 70_000];
    const w = world(11, 0.01);
    const a = w.domain.endpoint({ host: 0, mode: 'efa', txSize: count });
    const b = w.domain.endpoint({ host: 9, mode: 'efa', rxSize: count });
    const toB = a.av.insert(b.getname());
    const any = 0xffff_ffff_ffff_ffffn;
    for (let i = 0; i < count; i++) b.trecv(new Uint8Array(70_000), FI_ADDR_UNSPEC, 0n, any, i);
    for (let i = 0; i < count; i++) {
      const body = new Uint8Array(sizes[i % sizes.length]!);
      new DataView(body.buffer).setUint32(0, i, true);
      body[body.length - 1] = i & 0xff;
      expect(a.tsend(body, toB, BigInt(i), i)).toBe(0);
    }
    w.fabric.run();
    const rx = readOk(b);
    expect(b.cq.errorsAvailable).toBe(0);
    expect(rx).toHaveLength(count);
    // SAS: the i-th posted receive (they all match any tag) took the i-th message sent.
    expect(rx.map((e) => Number(e.tag))).toEqual(rx.map((e) => e.op_context));
    // Completions of one-packet messages come in send order too (a long-CTS message completes after its data).
    const small = rx.filter((e) => e.len <= a.limits.eagerBytesMax).map((e) => Number(e.tag));
    expect(small).toEqual([...small].sort((x, y) => x - y));
    rx.sort((x, y) => Number(x.tag - y.tag));
    for (const [i, e] of rx.entries()) {
      expect(e.len).toBe(sizes[i % sizes.length]);
      expect(new DataView(e.buf!.buffer).getUint32(0, true)).toBe(i);
      expect(e.buf![e.len - 1]).toBe(i & 0xff);
    }
    expect(readOk(a)).toHaveLength(count);
    expect(a.cq.errorsAvailable).toBe(0);
    // The conditions were real: packets were lost and retransmitted, messages overtook each other.
    const srd = w.srdStats();
    expect(w.fabric.stats().packetsDroppedFault).toBeGreaterThan(100);
    expect(srd.retransmissions).toBeGreaterThan(0);
    expect(b.stats().arrivedAhead).toBeGreaterThan(10);
  });

  it('efa-direct over SRD completes out of order and still exactly once', () => {
    const count = 400;
    const w = world(5, 0);
    const a = w.domain.endpoint({ host: 1, mode: 'efa-direct', txSize: count });
    const b = w.domain.endpoint({ host: 12, mode: 'efa-direct', rxSize: count });
    const toB = a.av.insert(b.getname());
    for (let i = 0; i < count; i++) b.recv(new Uint8Array(8192), FI_ADDR_UNSPEC);
    // Mixed sizes: a small message posted after a full-MTU one can overtake it on another path.
    for (let i = 0; i < count; i++) {
      const body = new Uint8Array(i % 2 === 0 ? 8192 : 16);
      body[0] = i & 0xff;
      body[1] = i >> 8;
      a.send(body, toB, i);
    }
    w.fabric.run();
    const order = readOk(b).map((e) => e.buf![0]! | (e.buf![1]! << 8));
    expect([...order].sort((x, y) => x - y)).toEqual([...Array(count).keys()]);
    let inversions = 0;
    for (let i = 1; i < order.length; i++) if (order[i]! < order[i - 1]!) inversions += 1;
    expect(inversions).toBeGreaterThan(0);
  });

  it('RNR over SRD: no posted receive fails the sender; the next send with a receive succeeds', () => {
    const w = world(2, 0);
    const a = w.domain.endpoint({ host: 0, mode: 'efa-direct' });
    const b = w.domain.endpoint({ host: 15, mode: 'efa-direct' });
    const toB = a.av.insert(b.getname());
    a.send(Uint8Array.of(1), toB, 'first');
    w.fabric.run();
    expect(a.cq.readerr()?.err).toBe('RNR');
    b.recv(new Uint8Array(1), FI_ADDR_UNSPEC);
    a.send(Uint8Array.of(2), toB, 'second');
    w.fabric.run();
    expect(readOk(a).map((e) => e.op_context)).toEqual(['second']);
  });
});

describe('ring all-reduce over SRD with faults', () => {
  it.each([2, 4, 8])('%i ranks: every rank holds the reference bits under loss, reordering and a dead spine link', (ranks) => {
    const w = world(100 + ranks, 0.01);
    const links = w.fabric.links();
    // Extra reordering on the spine tier, and a black hole on one spine downlink 30 µs in (SRD routes around it).
    for (const link of links) if (link.tier === 'leaf-spine') w.fabric.fault(link.id, 0, { kind: 'reorder', probability: 0.05, extraPs: 20_000_000 });
    const dead = links.find((link) => link.name === 'spine2->leaf1');
    expect(dead).toBeDefined();
    w.fabric.fault(dead!.id, 30_000_000, { kind: 'down' });
    const length = 48_000;
    const xs = floats(ranks, length, ranks);
    // Ranks alternate leaves so every ring hop crosses the spines.
    const hosts = [...Array(ranks).keys()].map((r) => (r % 2) * 8 + Math.floor(r / 2));
    const result = runRingAllReduce({ domain: w.domain, hosts, inputs: xs });
    const ref = new Uint32Array(ringAllReduceReference(xs).buffer);
    for (const out of result.outputs) expect(new Uint32Array(out.buffer)).toEqual(ref);
    expect(w.fabric.stats().packetsDroppedFault).toBeGreaterThan(0);
    expect(w.srdStats().retransmissions).toBeGreaterThan(0);
    const perRank = result.ranks.map((r) => r.bytesSent);
    expect(Math.min(...perRank)).toBeGreaterThan(0);
    // Ring: every rank sends 2(N−1)/N of the vector (± a chunk's rounding).
    for (const sent of perRank) expect(Math.abs(sent - (2 * (ranks - 1) / ranks) * length * 4)).toBeLessThanOrEqual(8);
    expect(result.durationPs).toBeGreaterThan(0);
  });

  it('same seed, same completion time and fabric digest', () => {
    const once = (): [number, string] => {
      const w = world(77, 0.01);
      const result = runRingAllReduce({ domain: w.domain, hosts: [0, 8, 1, 9], inputs: floats(4, 20_000, 9) });
      return [result.completionPs, w.fabric.digest()];
    };
    expect(once()).toEqual(once());
  });
});

describe('device admission (SRD admit hook)', () => {
  function admitted(seed: number): World & { srd: () => Record<string, number> } {
    const fabric = createFabric({ ...DEFAULT_FABRIC_CONFIG, seed });
    const transports: ReturnType<typeof createSrdTransport>[] = [];
    const domain: Domain = createDomain({
      fabric,
      transportFor: (host) => {
        const t = createSrdTransport(fabric, host, { admit: (segment) => domain.admit(host, segment) });
        transports.push(t);
        return t;
      },
    });
    const srd = (): Record<string, number> => {
      const sum: Record<string, number> = {};
      for (const t of transports) for (const [k, v] of Object.entries(t.stats())) sum[k] = (sum[k] ?? 0) + v;
      return sum;
    };
    return { fabric, domain, srdStats: srd, srd };
  }

  it('RNR and BAD_QP come from the NIC: SRD drops the packet with that code and the sender fails', () => {
    const w = admitted(4);
    const a = w.domain.endpoint({ host: 0, mode: 'efa-direct' });
    const b = w.domain.endpoint({ host: 9, mode: 'efa-direct' });
    const toB = a.av.insert(b.getname());
    a.send(Uint8Array.of(1), toB, 'no-recv');
    w.fabric.run();
    expect(a.cq.readerr()?.err).toBe('RNR');
    expect(w.srd().droppedRnr).toBe(1);
    expect(b.stats().rnr).toBeUndefined();
    const buf = new Uint8Array(1);
    b.recv(buf, FI_ADDR_UNSPEC);
    a.send(Uint8Array.of(2), toB, 'ok');
    w.fabric.run();
    expect(readOk(a).map((e) => e.op_context)).toEqual(['ok']);
    expect(buf[0]).toBe(2);
    b.close();
    a.send(Uint8Array.of(3), toB, 'closed');
    w.fabric.run();
    expect(a.cq.readerr()?.err).toBe('BAD_QP');
    expect(w.srd().droppedBadQp).toBe(1);
    expect(w.domain.stats().admitBadQp).toBe(1);
  });

  it('efa: more than a window of messages to a closed endpoint all fail BAD_QP, none hangs', () => {
    const w = admitted(6);
    const a = w.domain.endpoint({ host: 0, mode: 'efa' });
    const b = w.domain.endpoint({ host: 9, mode: 'efa' });
    const toB = a.av.insert(b.getname());
    b.close();
    for (let i = 0; i < 40; i++) a.send(Uint8Array.of(i), toB, i);
    w.fabric.run();
    const errors: string[] = [];
    for (let e = a.cq.readerr(); e !== undefined; e = a.cq.readerr()) errors.push(e.err);
    expect(errors).toEqual(Array(40).fill('BAD_QP'));
  });
});
