import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/physical.ts';
import { runScenario } from '../../src/scenario/runner.ts';

describe('catalogue: physical (PHY, teaching only)', () => {
  it('has exactly the one teaching scenario, which expects to succeed and names no defence', () => {
    expect(scenarios.map((s) => [s.id, s.expect, s.defence])).toEqual([['PHY-01', 'succeeds', null]]);
  });

  it('PHY-01: with the platform key stolen, a forged document gets the data key from KMS and the prompt from a client', async () => {
    const [scenario] = scenarios;
    const result = await runScenario(scenario!, { seed: 1 });
    const why = `${result.reason}\n notes: ${result.runs.defended.notes.join(' | ')}`;
    expect(result.outcome, why).toBe('leaked');
    expect(result.control, why).toBeNull();
    expect(result.passed, why).toBe(true);
    const hits = result.runs.defended.observations.filter((o) => o.principal === 'operator').flatMap((o) => o.canaryHits.map((h) => h.canary));
    expect(new Set(hits), why).toEqual(new Set(['data-key', 'weights-card', 'weights-tensor', 'prompt']));
    // Every downstream check passed: KMS released to the approved PCR0, and the client accepted the document.
    expect(result.runs.defended.verdicts.find((v) => v.invariant === 'INV-KEYS-ATTESTED')?.held, why).toBe(true);
    expect(result.runs.defended.notes, why).toContain('the client accepted the forged attestation and got an answer');
  }, 60_000);
});
