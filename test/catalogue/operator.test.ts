import { describe, expect } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/operator.ts';
import { canaryHitsOf, eachBlockedAndCaught } from './helpers.ts';

/** Mechanisms a scenario needs that have not landed yet: its test is skipped with the reason. */
const PENDING: Readonly<Record<string, string>> = {};

describe('catalogue: operator (OP)', () => {
  eachBlockedAndCaught(
    scenarios,
    (scenario, result, why) => {
      // The control's leak must be the attacker's doing: a canary in the operator's own ledger, or the
      // audit invariant for the one scenario whose harm is acting unseen.
      const control = result.runs.control!;
      const operatorHits = canaryHitsOf(control, 'operator');
      if (scenario.invariants.includes('INV-NO-CANARY')) expect(operatorHits.length, why).toBeGreaterThan(0);
      else expect(control.verdicts.some((v) => v.invariant === 'INV-AUDIT' && !v.held), why).toBe(true);
      expect(canaryHitsOf(result.runs.defended, 'operator')).toEqual([]);
    },
    { pending: PENDING },
  );
});
