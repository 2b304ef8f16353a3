import { describe, expect } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/co-tenant.ts';
import { canaryHitsOf, eachBlockedAndCaught } from './helpers.ts';

/** What the control run must show: a canary in the co-tenant's own ledger, or a failed invariant. */
const CONTROL_EVIDENCE: Readonly<Record<string, 'co-tenant-canary' | 'INV-KEYS-ATTESTED'>> = {
  'CT-01': 'co-tenant-canary',
  'CT-02': 'INV-KEYS-ATTESTED',
  'CT-03': 'co-tenant-canary',
};

describe('catalogue: co-tenant (CT)', () => {
  eachBlockedAndCaught(scenarios, (scenario, result, why) => {
    const control = result.runs.control!;
    const evidence = CONTROL_EVIDENCE[scenario.id];
    if (evidence === 'co-tenant-canary') {
      expect(canaryHitsOf(control, 'co-tenant').length > 0, why).toBe(true);
    } else {
      expect(control.verdicts.some((v) => v.invariant === evidence && !v.held), why).toBe(true);
      expect(result.runs.defended.verdicts.find((v) => v.invariant === evidence)?.held, why).toBe(true);
    }
    expect(canaryHitsOf(result.runs.defended, 'co-tenant')).toEqual([]);
  });
});
