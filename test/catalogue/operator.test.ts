import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/operator.ts';
import { runScenario } from '../../src/scenario/runner.ts';

/** Mechanisms a scenario needs that have not landed yet: its test is skipped with the reason. */
const PENDING: Readonly<Record<string, string>> = {};

describe('catalogue: operator (OP)', () => {
  for (const scenario of scenarios) {
    const pending = PENDING[scenario.id];
    const test = pending === undefined ? it : it.skip;
    test(`${scenario.id} ${scenario.name}: blocked, and caught with ${scenario.defence} off`, async () => {
      const result = await runScenario(scenario, { seed: 1 });
      const why = `${result.reason}\n defended notes: ${result.runs.defended.notes.join(' | ')}\n control: ${result.runs.control?.reason}\n control notes: ${result.runs.control?.notes.join(' | ')}`;
      expect(result.outcome, why).toBe('blocked');
      expect(result.control, why).toBe('leaked');
      expect(result.passed, why).toBe(true);
      // The control's leak must be the attacker's doing: a canary in the operator's own ledger, or the
      // audit invariant for the one scenario whose harm is acting unseen.
      const control = result.runs.control!;
      const operatorHits = control.observations.filter((o) => o.principal === 'operator' && o.canaryHits.length > 0);
      if (scenario.invariants.includes('INV-NO-CANARY')) expect(operatorHits.length, why).toBeGreaterThan(0);
      else expect(control.verdicts.some((v) => v.invariant === 'INV-AUDIT' && !v.held), why).toBe(true);
      expect(result.runs.defended.observations.filter((o) => o.principal === 'operator' && o.canaryHits.length > 0)).toEqual([]);
    }, 60_000);
  }
});
