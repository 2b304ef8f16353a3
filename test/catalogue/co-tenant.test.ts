import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/co-tenant.ts';
import { runScenario } from '../../src/scenario/runner.ts';

/** What the control run must show: a canary in the co-tenant's own ledger, or a failed invariant. */
const CONTROL_EVIDENCE: Readonly<Record<string, 'co-tenant-canary' | 'INV-KEYS-ATTESTED'>> = {
  'CT-01': 'co-tenant-canary',
  'CT-02': 'INV-KEYS-ATTESTED',
};

describe('catalogue: co-tenant (CT)', () => {
  for (const scenario of scenarios) {
    it(`${scenario.id} ${scenario.name}: blocked, and caught with ${scenario.defence} off`, async () => {
      const result = await runScenario(scenario, { seed: 1 });
      const why = `${result.reason}\n defended notes: ${result.runs.defended.notes.join(' | ')}\n control: ${result.runs.control?.reason}\n control notes: ${result.runs.control?.notes.join(' | ')}`;
      expect(result.outcome, why).toBe('blocked');
      expect(result.control, why).toBe('leaked');
      expect(result.passed, why).toBe(true);
      const control = result.runs.control!;
      const evidence = CONTROL_EVIDENCE[scenario.id];
      if (evidence === 'co-tenant-canary') {
        expect(control.observations.some((o) => o.principal === 'co-tenant' && o.canaryHits.length > 0), why).toBe(true);
      } else {
        expect(control.verdicts.some((v) => v.invariant === evidence && !v.held), why).toBe(true);
        expect(result.runs.defended.verdicts.find((v) => v.invariant === evidence)?.held, why).toBe(true);
      }
      expect(result.runs.defended.observations.filter((o) => o.principal === 'co-tenant' && o.canaryHits.length > 0)).toEqual([]);
    }, 60_000);
  }
});
