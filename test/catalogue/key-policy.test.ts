import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/key-policy.ts';
import { eachBlockedAndCaught, notesOf } from './helpers.ts';

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

  eachBlockedAndCaught(scenarios, (scenario, result, why) => {
    expect(notesOf(result.runs.defended), why).toMatch(DEFENDED_BY[scenario.id] ?? /^$/);
  });
});
