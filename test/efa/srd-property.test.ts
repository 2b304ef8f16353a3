import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LinkFault } from '../../src/efa/contracts.ts';
import { checkExactlyOnce, pattern, post, world, type World } from './srd-helpers.ts';

type PlanFault = LinkFault | { readonly kind: 'down'; readonly healUs: number };

/** A fault plan: faults on links the traffic crosses, at random times early in the run. */
const faultArb = fc.record({
  link: fc.nat(),
  atUs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
  fault: fc.oneof(
    fc.record({ kind: fc.constant('loss' as const), probability: fc.double({ min: 0, max: 0.3, noNaN: true }) }),
    fc.record({ kind: fc.constant('duplicate' as const), probability: fc.double({ min: 0, max: 0.5, noNaN: true }) }),
    fc.record({ kind: fc.constant('corrupt' as const), probability: fc.double({ min: 0, max: 0.2, noNaN: true }) }),
    fc.record({
      kind: fc.constant('reorder' as const),
      probability: fc.double({ min: 0, max: 0.5, noNaN: true }),
      extraPs: fc.integer({ min: 0, max: 20_000_000 }),
    }),
    fc.record({ kind: fc.constant('delay' as const), extraPs: fc.integer({ min: 0, max: 5_000_000 }) }),
    fc.record({ kind: fc.constant('down' as const), healUs: fc.integer({ min: 1, max: 3000 }) }),
  ) as fc.Arbitrary<PlanFault>,
});

const messageArb = fc.record({
  src: fc.integer({ min: 0, max: 15 }),
  dstOffset: fc.integer({ min: 1, max: 15 }),
  bytes: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 20_000, max: 300_000 })),
});
type Message = { readonly src: number; readonly dstOffset: number; readonly bytes: number };
type Fault = { readonly link: number; readonly atUs: number; readonly fault: PlanFault };

/** Builds the world, applies the plan on links the messages cross, runs to quiescence. */
function runPlan(seed: number, faults: readonly Fault[], messages: readonly Message[], entropyValues: number, switchOnlyHoles: boolean): World {
  const w = world({ seed }, { entropyValues });
  const onPath = new Set<number>();
  const fabricLinks = new Set<number>();
  for (const m of messages) {
    const dst = (m.src + m.dstOffset) % 16;
    for (let ev = 0; ev < entropyValues; ev++) {
      for (const l of [...w.fabric.route(m.src, dst, ev), ...w.fabric.route(dst, m.src, ev)]) {
        onPath.add(l);
        if (w.fabric.links()[l]!.tier !== 'host') fabricLinks.add(l);
      }
    }
  }
  const all = [...onPath].sort((a, b) => a - b);
  const spines = [...fabricLinks].sort((a, b) => a - b);
  for (const f of faults) {
    // Holes and heavy loss on a host link cannot be routed around: the strict property keeps them on spine links.
    const lossy = f.fault.kind === 'down' || f.fault.kind === 'loss';
    const pool = switchOnlyHoles && lossy ? spines : all;
    if (pool.length === 0) continue;
    const link = pool[f.link % pool.length]!;
    const at = f.atUs * 1_000_000;
    if (f.fault.kind === 'down') {
      w.fabric.fault(link, at, { kind: 'down' });
      if ('healUs' in f.fault) w.fabric.fault(link, at + f.fault.healUs * 1_000_000, { kind: 'up' });
    } else {
      w.fabric.fault(link, at, f.fault);
    }
  }
  messages.forEach((m, id) => post(w, m.src, (m.src + m.dstOffset) % 16, id, m.bytes, pattern(id, m.bytes)));
  w.fabric.run({ eventsMax: 5_000_000 });
  return w;
}

describe('SRD property: exactly-once delivery under random fault plans', () => {
  it('sprayed (16/32 EVs): every message completes OK and every byte is delivered exactly once, intact', () => {
    // Totals over all runs, so the property cannot pass on plans that never disturbed anything.
    const seen = { retransmissions: 0, duplicatesReceived: 0, corruptDrops: 0, timeouts: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(faultArb, { maxLength: 8 }),
        fc.array(messageArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(16, 32),
        (seed, faults, messages, entropyValues) => {
          const w = runPlan(seed, faults, messages, entropyValues, true);
          messages.forEach((m, id) => {
            const done = w.completions.get(id);
            expect(done, `message ${id} never completed (seed ${seed})`).toBeDefined();
            expect(done!.ok, `message ${id} failed with ${done!.code} (seed ${seed})`).toBe(true);
            expect(checkExactlyOnce(w, m.src, id, m.bytes, pattern(id, m.bytes))).toBeNull();
          });
          for (const t of w.transports) {
            const st = t.stats();
            for (const key of Object.keys(seen) as (keyof typeof seen)[]) seen[key] += st[key] ?? 0;
          }
        },
      ),
      { numRuns: 80, seed: 20261125 },
    );
    for (const [key, total] of Object.entries(seen)) expect(total, key).toBeGreaterThan(0);
  });

  it('any plan, P=1 included: one completion per message, never a byte twice; success means all bytes intact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(faultArb, { maxLength: 8 }),
        fc.array(messageArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(1, 16),
        (seed, faults, messages, entropyValues) => {
          const w = runPlan(seed, faults, messages, entropyValues, false);
          messages.forEach((m, id) => {
            const done = w.completions.get(id);
            expect(done, `message ${id} never completed (seed ${seed})`).toBeDefined();
            const problem = checkExactlyOnce(w, m.src, id, m.bytes, pattern(id, m.bytes));
            if (done!.ok) {
              expect(problem).toBeNull();
            } else {
              expect(done!.code).toBe('REMOTE_UNRESPONSIVE');
              expect(problem ?? '').not.toMatch(/twice|differs/);
            }
          });
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });
});
