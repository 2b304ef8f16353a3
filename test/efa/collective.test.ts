import { describe, expect, it } from 'vitest';
import { createDomain } from '../../src/efa/api/index.ts';
import { ringAllReduceReference, ringChunks, runRingAllReduce } from '../../src/efa/collective/index.ts';
import { loopback, smallFabric } from './api-helpers.ts';

/** Values of very different magnitudes, so a different summation order changes the float32 bits. */
function inputs(ranks: number, length: number, seed: number): Float32Array[] {
  const out: Float32Array[] = [];
  let x = seed >>> 0;
  for (let r = 0; r < ranks; r++) {
    const v = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      v[i] = ((x / 2 ** 32) - 0.5) * 10 ** ((x % 7) - 3);
    }
    out.push(v);
  }
  return out;
}

function bits(v: Float32Array): Uint32Array {
  return new Uint32Array(v.buffer, v.byteOffset, v.length);
}

describe('ring all-reduce reference', () => {
  it('fixes the summation order: a naive rank-order sum differs in some bits', () => {
    const xs = inputs(8, 4096, 3);
    const ref = ringAllReduceReference(xs);
    const naive = new Float32Array(4096);
    for (let i = 0; i < 4096; i++) {
      let acc = xs[0]![i]!;
      for (let r = 1; r < 8; r++) acc = Math.fround(acc + xs[r]![i]!);
      naive[i] = acc;
    }
    // Chunk 0 starts at rank 0, so it equals the naive order; other chunks start elsewhere and differ somewhere.
    const chunks = ringChunks(4096, 8);
    expect(bits(ref).subarray(0, chunks[0]!.end)).toEqual(bits(naive).subarray(0, chunks[0]!.end));
    expect(Buffer.from(bits(ref).buffer).equals(Buffer.from(bits(naive).buffer))).toBe(false);
    for (let i = 0; i < 4096; i++) expect(Math.abs(ref[i]! - naive[i]!)).toBeLessThan(1e-3);
  });
});

describe('ring all-reduce over the loopback transport', () => {
  it.each([1, 2, 3, 5])('%i ranks equal the reference bit for bit, bytes as the ring predicts', (ranks) => {
    const fabric = smallFabric(ranks);
    const net = loopback(fabric, { jitterPs: 30_000_000 });
    const domain = createDomain({ fabric, transportFor: net.transportFor });
    const length = 10_001;
    const xs = inputs(ranks, length, ranks * 11);
    const steps: number[][] = [...Array(ranks)].map(() => []);
    const lastPs: number[] = [];
    const result = runRingAllReduce({
      domain, hosts: [...Array(ranks).keys()].map((r) => (r * 3) % 8), inputs: xs,
      onStep: (rank, step, atPs) => {
        steps[rank]!.push(step);
        lastPs[rank] = atPs;
      },
    });
    for (const s of steps) expect(s).toEqual([...Array(2 * (ranks - 1)).keys()]);
    if (ranks > 1) expect(lastPs).toEqual(result.ranks.map((r) => r.completedPs));
    const ref = ringAllReduceReference(xs);
    for (const out of result.outputs) expect(bits(out)).toEqual(bits(ref));
    const chunks = ringChunks(length, ranks);
    for (const report of result.ranks) {
      // Rank r sends chunks r, r−1, … (reduce-scatter: all but r+1) then r+1, r, … (all-gather: all but r+2).
      const size = (c: number): number => chunks[c % ranks]!.end - chunks[c % ranks]!.start;
      const expected = ranks === 1 ? 0 : 4 * (2 * length - size(report.rank + 1) - size(report.rank + 2));
      expect(report.bytesSent).toBe(expected);
      expect(report.messagesSent).toBe(2 * (ranks - 1));
      expect(report.bytesReceived).toBe(result.ranks[(report.rank - 1 + ranks) % ranks]!.bytesSent);
    }
    expect(result.completionPs).toBeGreaterThanOrEqual(result.startPs);
  });
});

describe('ring all-reduce failures and placement', () => {
  it('two ranks on one host (same-host loopback) still equal the reference', () => {
    const fabric = smallFabric(4);
    const net = loopback(fabric, { jitterPs: 10_000_000 });
    const domain = createDomain({ fabric, transportFor: net.transportFor });
    const xs = inputs(3, 999, 5);
    const result = runRingAllReduce({ domain, hosts: [2, 2, 6], inputs: xs });
    for (const out of result.outputs) expect(bits(out)).toEqual(bits(ringAllReduceReference(xs)));
  });

  it('a rank whose host is unreachable ends the collective with COLLECTIVE_FAILED, not a hang', () => {
    const fabric = smallFabric(4);
    const net = loopback(fabric, { failWith: (_i, _src, dst) => (dst === 6 ? 'REMOTE_UNRESPONSIVE' : undefined) });
    const domain = createDomain({ fabric, transportFor: net.transportFor });
    expect(() => runRingAllReduce({ domain, hosts: [0, 3, 6, 7], inputs: inputs(4, 100, 1) })).toThrow(/COLLECTIVE_FAILED.*REMOTE_UNRESPONSIVE/);
  });

  it('a rank whose messages silently vanish is reported as a failure after the response timeout', () => {
    const fabric = smallFabric(4);
    const net = loopback(fabric, { swallow: (_i, src) => src === 3 });
    const domain = createDomain({ fabric, transportFor: net.transportFor });
    let error: unknown;
    try {
      runRingAllReduce({ domain, hosts: [0, 3, 6], inputs: inputs(3, 100, 1) });
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).toMatch(/COLLECTIVE_FAILED.*REMOTE_UNRESPONSIVE/);
  });

  it('refuses mismatched inputs with a typed error', () => {
    const fabric = smallFabric(4);
    const domain = createDomain({ fabric, transportFor: loopback(fabric).transportFor });
    expect(() => runRingAllReduce({ domain, hosts: [0, 1], inputs: [new Float32Array(3), new Float32Array(4)] })).toThrow(/COLLECTIVE_BAD_INPUT/);
    expect(() => ringAllReduceReference([])).toThrow(/COLLECTIVE_BAD_INPUT/);
  });
});
