import { describe, expect, it } from 'vitest';
import type { FabricConfig, Packet } from '../../src/efa/contracts.ts';
import { createFabric, DEFAULT_FABRIC_CONFIG } from '../../src/efa/net/index.ts';
import { isEmuError } from '../../src/errors.ts';

const WIRE = DEFAULT_FABRIC_CONFIG.mtuPayloadBytes + DEFAULT_FABRIC_CONFIG.headerBytes;

function packet(src: number, dst: number, entropy: number, header: unknown = null): Packet {
  return { src, dst, entropy, kind: 'data', wireBytes: WIRE, header };
}

function linkId(fabric: ReturnType<typeof createFabric>, name: string): number {
  const link = fabric.links().find((l) => l.name === name);
  if (link === undefined) throw new Error(`no link ${name}`);
  return link.id;
}

describe('fabric: leaf/spine timing and ECMP', () => {
  it('a 2 MB burst arrives at bytes/rate + one-way base latency (store-and-forward over 4 links)', () => {
    const fabric = createFabric(DEFAULT_FABRIC_CONFIG);
    let lastPs = 0;
    let count = 0;
    fabric.attach(9, () => {
      lastPs = fabric.now;
      count++;
    });
    const packets = (2 * 1024 * 1024) / DEFAULT_FABRIC_CONFIG.mtuPayloadBytes;
    for (let i = 0; i < packets; i++) fabric.send(packet(1, 9, 3));
    fabric.run();
    const c = DEFAULT_FABRIC_CONFIG;
    const serPs = WIRE * (8000 / c.linkGbps);
    const oneWayPs = 2 * c.nicLatencyPs + 4 * c.propagationPs + 3 * c.switchLatencyPs + 3 * serPs;
    expect(count).toBe(packets);
    expect(lastPs).toBe(packets * serPs + oneWayPs);
    // ≈ ideal: payload bytes at line rate plus the base latency, within the 1.2 % header overhead.
    const idealPs = (2 * 1024 * 1024 * 8000) / c.linkGbps + oneWayPs;
    expect(lastPs / idealPs).toBeGreaterThan(1);
    expect(lastPs / idealPs).toBeLessThan(1.015);
  });

  it('same entropy, same route; packets really take route(); 64 entropies use every spine', () => {
    const fabric = createFabric(DEFAULT_FABRIC_CONFIG);
    const seen = new Map<number, number[]>();
    for (let s = 0; s < 8; s++) {
      fabric.tap(linkId(fabric, `leaf0->spine${s}`), (p) => {
        const list = seen.get(p.entropy) ?? [];
        list.push(s);
        seen.set(p.entropy, list);
      });
    }
    fabric.attach(12, () => {});
    const spinesUsed = new Set<number>();
    for (let ev = 0; ev < 64; ev++) {
      const route = fabric.route(2, 12, ev);
      expect(fabric.route(2, 12, ev)).toEqual(route);
      expect(route).toHaveLength(4);
      const spineLink = fabric.links()[route[1]!]!.name;
      spinesUsed.add(Number(spineLink.replace('leaf0->spine', '')));
      fabric.send(packet(2, 12, ev));
      fabric.send(packet(2, 12, ev));
    }
    fabric.run();
    expect(spinesUsed.size).toBe(8);
    for (let ev = 0; ev < 64; ev++) {
      const route = fabric.route(2, 12, ev);
      const spine = Number(fabric.links()[route[1]!]!.name.replace('leaf0->spine', ''));
      expect(seen.get(ev)).toEqual([spine, spine]);
    }
    // The hash depends on the seed: another seed maps the entropies differently.
    const other = createFabric({ ...DEFAULT_FABRIC_CONFIG, seed: 2 });
    const differs = Array.from({ length: 64 }, (_, ev) => other.route(2, 12, ev)[1] !== fabric.route(2, 12, ev)[1]);
    expect(differs.some(Boolean)).toBe(true);
  });

  it('same-leaf traffic stays under the leaf (2 links)', () => {
    const fabric = createFabric(DEFAULT_FABRIC_CONFIG);
    expect(fabric.route(0, 7, 5).map((l) => fabric.links()[l]!.name)).toEqual(['h0->leaf0', 'leaf0->h7']);
  });

  it('drop-tail: an incast overflows the last-hop buffer, the queue never exceeds it', () => {
    const config: FabricConfig = { ...DEFAULT_FABRIC_CONFIG, bufferBytes: 64 * 1024 };
    const fabric = createFabric(config);
    let got = 0;
    fabric.attach(15, () => got++);
    for (let src = 0; src < 8; src++) for (let i = 0; i < 32; i++) fabric.send(packet(src, 15, i));
    fabric.run();
    const stats = fabric.stats();
    expect(stats.packetsDroppedQueue).toBeGreaterThan(0);
    expect(got + stats.packetsDroppedQueue).toBe(256);
    expect(stats.maxQueueBytes).toBeLessThanOrEqual(64 * 1024);
    expect(fabric.linkStats(linkId(fabric, 'leaf1->h15')).droppedQueue).toBeGreaterThan(0);
    const perLink = fabric.links().reduce((sum, l) => sum + fabric.linkStats(l.id).droppedQueue, 0);
    expect(perLink).toBe(stats.packetsDroppedQueue);
  });
});

describe('fabric: faults', () => {
  function lossyRun(seed: number): { digest: string; got: number; dropped: number } {
    const fabric = createFabric({ ...DEFAULT_FABRIC_CONFIG, seed });
    let got = 0;
    fabric.attach(10, () => got++);
    for (let s = 0; s < 8; s++) fabric.fault(linkId(fabric, `spine${s}->leaf1`), 0, { kind: 'loss', probability: 0.2 });
    fabric.fault(linkId(fabric, 'leaf1->h10'), 0, { kind: 'reorder', probability: 0.3, extraPs: 2_000_000 });
    for (let i = 0; i < 400; i++) fabric.schedule(i * 1_000_000, () => fabric.send(packet(1, 10, i % 32)));
    fabric.run();
    return { digest: fabric.digest(), got, dropped: fabric.stats().packetsDroppedFault };
  }

  it('faults are deterministic from the seed: same seed same digest, other seed other digest', () => {
    const a = lossyRun(7);
    const b = lossyRun(7);
    const c = lossyRun(8);
    expect(a).toEqual(b);
    expect(a.got + a.dropped).toBe(400);
    // 20 % loss on 400 packets: far from 0 and from 400.
    expect(a.dropped).toBeGreaterThan(40);
    expect(a.dropped).toBeLessThan(130);
    expect(c.digest).not.toBe(a.digest);
  });

  it('a black-holed link drops silently until it comes back up', () => {
    const fabric = createFabric(DEFAULT_FABRIC_CONFIG);
    const arrivals: number[] = [];
    fabric.attach(12, (p) => arrivals.push(p.header as number));
    const route = fabric.route(3, 12, 4);
    const spineLink = route[1]!;
    fabric.fault(spineLink, 10_000_000, { kind: 'down' });
    fabric.fault(spineLink, 30_000_000, { kind: 'up' });
    for (let i = 0; i < 40; i++) fabric.schedule(i * 1_000_000, () => fabric.send(packet(3, 12, 4, i)));
    fabric.run();
    // Sent at 10..29 µs reach the spine link while it is down (≈ 2.6 µs after sending).
    const lost = Array.from({ length: 40 }, (_, i) => i).filter((i) => !arrivals.includes(i));
    expect(lost.length).toBeGreaterThanOrEqual(19);
    expect(lost.length).toBeLessThanOrEqual(21);
    expect(lost.every((i) => i >= 7 && i < 30)).toBe(true);
    expect(fabric.linkStats(spineLink).droppedFault).toBe(lost.length);
    expect(fabric.stats().packetsDroppedFault).toBe(lost.length);
  });

  it('routing convergence steers ECMP around a dead link', () => {
    const fabric = createFabric(DEFAULT_FABRIC_CONFIG);
    let got = 0;
    fabric.attach(12, () => got++);
    const before = fabric.route(3, 12, 4);
    const dead = before[2]!; // spine -> leaf1: the source leaf must avoid that spine
    fabric.fault(dead, 0, { kind: 'down' });
    fabric.routingConverge(dead, 0, 50_000_000);
    fabric.schedule(10_000_000, () => fabric.send(packet(3, 12, 4)));
    fabric.run({ untilPs: 40_000_000 });
    expect(got).toBe(0);
    expect(fabric.route(3, 12, 4)).toEqual(before);
    fabric.run({ untilPs: 60_000_000 });
    const after = fabric.route(3, 12, 4);
    expect(after).not.toContain(dead);
    expect(after).toHaveLength(4);
    fabric.send(packet(3, 12, 4));
    fabric.run();
    expect(got).toBe(1);
    // Entropies whose route never crossed the dead link keep their route (resilient hashing).
    for (let ev = 0; ev < 64; ev++) {
      const r = fabric.route(3, 12, ev);
      expect(r).not.toContain(dead);
    }
  });

  it('duplicate and corrupt faults copy the packet; the tap sees what the wire carried', () => {
    const fabric = createFabric(DEFAULT_FABRIC_CONFIG);
    const got: Packet[] = [];
    const tapped: Packet[] = [];
    fabric.attach(12, (p) => got.push(p));
    const route = fabric.route(0, 12, 1);
    fabric.tap(route[3]!, (p) => tapped.push(p));
    fabric.fault(route[1]!, 0, { kind: 'duplicate', probability: 1 });
    fabric.fault(route[2]!, 0, { kind: 'corrupt', probability: 1 });
    const sent = packet(0, 12, 1, 'x');
    fabric.send(sent);
    fabric.run();
    expect(got).toHaveLength(2);
    expect(got.every((p) => p.corrupted === true && p.header === 'x')).toBe(true);
    expect(got[0]).not.toBe(got[1]);
    expect(sent.corrupted).toBeUndefined();
    expect(tapped).toHaveLength(2);
    expect(fabric.stats().packetsDuplicated).toBe(1);
  });

  it('schedule runs callbacks in time order, cancel stops one; run limits and random streams', () => {
    const fabric = createFabric(DEFAULT_FABRIC_CONFIG);
    const seen: number[] = [];
    fabric.schedule(300, () => seen.push(3));
    const cancel = fabric.schedule(200, () => seen.push(2));
    fabric.schedule(100, () => seen.push(1));
    fabric.schedule(300, () => seen.push(4));
    cancel();
    expect(fabric.run({ untilPs: 150 })).toBe(1);
    expect(fabric.now).toBe(150);
    fabric.run();
    expect(seen).toEqual([1, 3, 4]);
    const draws = (seed: number, name: string) => {
      const r = createFabric({ ...DEFAULT_FABRIC_CONFIG, seed }).random(name);
      return [r.next(), r.next(), ...r.bytes(5)];
    };
    expect(draws(1, 'a')).toEqual(draws(1, 'a'));
    expect(draws(1, 'a')).not.toEqual(draws(1, 'b'));
    expect(draws(1, 'a')).not.toEqual(draws(2, 'a'));
    const r = fabric.random('x');
    expect(fabric.random('x')).toBe(r);
    for (let i = 0; i < 1000; i++) {
      const v = r.next();
      expect(v >= 0 && v < 1).toBe(true);
    }
  });

  it('bad input is a typed error', () => {
    const fabric = createFabric(DEFAULT_FABRIC_CONFIG);
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return isEmuError(e) ? e.code : 'untyped';
      }
      return 'none';
    };
    expect(code(() => fabric.send(packet(0, 99, 1)))).toBe('EFA_BAD_HOST');
    expect(code(() => fabric.send({ ...packet(0, 1, 1), wireBytes: 9000 }))).toBe('EFA_BAD_PACKET');
    expect(code(() => fabric.fault(10_000, 0, { kind: 'down' }))).toBe('EFA_BAD_LINK');
    expect(code(() => fabric.fault(0, 0, { kind: 'loss', probability: 2 }))).toBe('EFA_BAD_FAULT');
    expect(code(() => createFabric({ ...DEFAULT_FABRIC_CONFIG, linkGbps: 0 }))).toBe('EFA_BAD_CONFIG');
    expect(code(() => createFabric({ ...DEFAULT_FABRIC_CONFIG, topology: { kind: 'fat-tree', k: 5 } }))).toBe('EFA_BAD_TOPOLOGY');
    fabric.attach(1, () => {});
    expect(code(() => fabric.attach(1, () => {}))).toBe('EFA_HOST_ATTACHED');
  });
});

describe('fabric: k-ary fat tree', () => {
  it('k=8 has 128 hosts; routes chain switch to switch with 2/4/6 links', () => {
    const fabric = createFabric({ ...DEFAULT_FABRIC_CONFIG, topology: { kind: 'fat-tree', k: 8 } });
    expect(fabric.hostCount).toBe(128);
    expect(fabric.links()).toHaveLength(6 * 128);
    const names = fabric.links().map((l) => l.name);
    expect(new Set(names).size).toBe(names.length);
    const lengths = new Set<number>();
    for (const [src, dst] of [[0, 1], [0, 5], [0, 100], [127, 3], [64, 65]] as const) {
      for (let ev = 0; ev < 16; ev++) {
        const path = fabric.route(src, dst, ev).map((l) => names[l]!);
        lengths.add(path.length);
        expect(path[0]).toBe(`h${src}->${path[0]!.split('->')[1]}`);
        expect(path.at(-1)!.endsWith(`->h${dst}`)).toBe(true);
        for (let i = 1; i < path.length; i++) expect(path[i]!.split('->')[0]).toBe(path[i - 1]!.split('->')[1]);
      }
    }
    expect([...lengths].sort()).toEqual([2, 4, 6]);
    // Inter-pod traffic spreads over all 16 cores.
    const cores = new Set<string>();
    for (let ev = 0; ev < 256; ev++) cores.add(names[fabric.route(0, 100, ev)[2]!]!.split('->')[1]!);
    expect(cores.size).toBe(16);
    let got = 0;
    fabric.attach(100, () => got++);
    for (let ev = 0; ev < 16; ev++) fabric.send(packet(0, 100, ev));
    fabric.run();
    expect(got).toBe(16);
  });

  it('convergence in a fat tree avoids a dead core link and a dead downlink into the destination pod', () => {
    const fabric = createFabric({ ...DEFAULT_FABRIC_CONFIG, topology: { kind: 'fat-tree', k: 4 } });
    const names = fabric.links().map((l) => l.name);
    const deadCore = fabric.route(0, 15, 0)[2]!; // agg -> core
    const deadDown = fabric.route(0, 15, 1)[4]!; // agg -> edge in the destination pod
    fabric.routingConverge(deadCore, 0, 1000);
    fabric.routingConverge(deadDown, 0, 1000);
    fabric.run();
    let got = 0;
    fabric.attach(15, () => got++);
    for (let ev = 0; ev < 64; ev++) {
      const path = fabric.route(0, 15, ev);
      expect(path).toHaveLength(6);
      expect(path).not.toContain(deadCore);
      expect(path).not.toContain(deadDown);
      for (let i = 1; i < path.length; i++) expect(names[path[i]!]!.split('->')[0]).toBe(names[path[i - 1]!]!.split('->')[1]);
      fabric.send(packet(0, 15, ev));
    }
    fabric.run();
    expect(got).toBe(64);
  });
});
