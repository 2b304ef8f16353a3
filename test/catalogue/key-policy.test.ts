import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/key-policy.ts';
import { runScenario } from '../../src/scenario/runner.ts';

/** Why the defended run must have been blocked: the refusal that stopped it, as the scenario noted it. */
const DEFENDED_BY: Readonly<Record<string, RegExp>> = {
  'KP-01': /KMS refused the owner's key policy: .*KP_ACCOUNT_WIDE_KMS_ALL/,
  'KP-02': /KMS refused the owner's key policy: .*KP_UNGATED_KEY_RELEASE/,
  'KP-03': /KMS refused the owner's key policy: .*KP_ZERO_PCR/,
  'KP-04': /KMS refused the owner's key policy: .*KP_WEAK_MEASUREMENT/,
  'KP-05': /KMS refused the owner's key policy: .*KP_IF_EXISTS_ATTESTATION/,
  'KP-06': /grant-backed Decrypt without Recipient: HTTP 400 AccessDeniedException/,
  'KP-07': /tenant B's enclave on tenant A's files: it stopped \(.*kms refused the data key: AccessDeniedException/,
};

describe('catalogue: key-policy (KP)', () => {
  it('lists KP-01 … KP-07 in order', () => {
    expect(scenarios.map((s) => s.id)).toEqual(['KP-01', 'KP-02', 'KP-03', 'KP-04', 'KP-05', 'KP-06', 'KP-07']);
  });

  for (const scenario of scenarios) {
    it(`${scenario.id} ${scenario.name}: blocked, and caught with ${scenario.defence} off`, async () => {
      const result = await runScenario(scenario, { seed: 1 });
      const notes = (run: { notes: readonly string[] } | null) => run?.notes.join(' | ') ?? '';
      const why = `${result.reason}\n defended notes: ${notes(result.runs.defended)}\n control notes: ${notes(result.runs.control)}`;
      expect(result.outcome, why).toBe('blocked');
      expect(result.control, why).toBe('leaked');
      expect(result.passed, why).toBe(true);
      expect(notes(result.runs.defended), why).toMatch(DEFENDED_BY[scenario.id] ?? /^$/);
    }, 60_000);
  }
});
