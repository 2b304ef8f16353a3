import { describe, expect, it } from 'vitest';
import { CanarySet, Ledger } from '../../src/scenario/index.ts';
import { World } from '../../src/world/index.ts';

// A judged run must refuse to go on with a full ledger (its verdicts need every observation); a served world
// forgets its oldest observations instead of stopping after hours of console lines.

describe('a full ledger', () => {
  it("refuses by default: the judged run stops rather than lose observations", () => {
    const ledger = new Ledger(new CanarySet(), () => 0, 5);
    for (let i = 0; i < 5; i++) ledger.record('parent-admin', 'c', `line ${i}`);
    expect(() => ledger.record('parent-admin', 'c', 'one more')).toThrow(/ledger is full/);
    expect(ledger.observations).toHaveLength(5);
  });

  it("'forget-oldest' drops the oldest tenth, keeps numbering, counts what it forgot and still finds canaries", () => {
    const canaries = new CanarySet();
    const ledger = new Ledger(canaries, () => 0, 20, 'forget-oldest');
    canaries.plant('secret', 'owner', new TextEncoder().encode('CANARY-served-host-42'));
    for (let i = 0; i < 45; i++) ledger.record('parent-admin', 'console e1', `line ${i}`);
    const leak = ledger.record('parent-admin', 'console e1', 'oops CANARY-served-host-42');
    expect(ledger.observations.length).toBeLessThanOrEqual(20);
    expect(ledger.forgotten).toBe(46 - ledger.observations.length);
    expect(ledger.observations[0]!.seq).toBe(ledger.forgotten);
    expect(leak.seq).toBe(45);
    expect(ledger.observations.at(-1)).toBe(leak);
    expect(leak.canaryHits.map((h) => h.canary)).toEqual(['secret']);
    expect(new TextDecoder().decode(ledger.observations.at(-2)!.bytes)).toBe('line 44');
  });

  it('a world refuses by default and forgets only when built to be served', () => {
    expect(new World({ seed: 1 }).ledger.whenFull).toBe('refuse');
    expect(new World({ seed: 1, ledgerWhenFull: 'forget-oldest' }).ledger.whenFull).toBe('forget-oldest');
  });
});
