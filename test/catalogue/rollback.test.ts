import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/rollback.ts';
import { runScenario } from '../../src/scenario/runner.ts';
import { eachBlockedAndCaught, notesOf } from './helpers.ts';

/** Why the defended run must have been blocked: the refusal that stopped it, as the scenario noted it. */
const DEFENDED_BY: Readonly<Record<string, RegExp>> = {
  'RB-01': /third boot on the replayed blob: stopped \(.*rollback refused/,
  'RB-02': /the 0\.9 image: it stopped \(.*kms refused the data key: AccessDeniedException/,
  'RB-03': /KMS refused the owner's key policy: .*KP_ACCOUNT_WIDE_KMS_ALL/,
  'RB-04': /enclave started on the 0\.9 files: stopped \(.*kms refused the data key: AccessDeniedException/,
  'RB-05': /Decrypt with a document under the revoked CA: HTTP 400 AccessDeniedException/,
};

describe('catalogue: rollback (RB)', () => {
  it('lists RB-01 … RB-05 in order', () => {
    expect(scenarios.map((s) => s.id)).toEqual(['RB-01', 'RB-02', 'RB-03', 'RB-04', 'RB-05']);
  });

  eachBlockedAndCaught(scenarios, (scenario, result, why) => {
    expect(notesOf(result.runs.defended), why).toMatch(DEFENDED_BY[scenario.id] ?? /^$/);
  });
});

describe('catalogue: rollback (RB) determinism', () => {
  it('the same seed gives the same trace digests, defended and control (RB-05 mints documents with the attacker’s RSA key)', async () => {
    const scenario = scenarios.find((s) => s.id === 'RB-05')!;
    const [first, second] = [await runScenario(scenario, { seed: 3 }), await runScenario(scenario, { seed: 3 })];
    expect(second.runs.defended.digest).toBe(first.runs.defended.digest);
    expect(second.runs.control?.digest).toBe(first.runs.control?.digest);
    expect(first.passed, first.reason).toBe(true);
  }, 60_000);
});
