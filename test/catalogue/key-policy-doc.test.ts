import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintKeyPolicy } from '../../src/kms/index.ts';
import { DOC_PARTIES, policyExamples, renderKeyPolicyDoc } from '../../src/scenario/catalogue/key-policy/doc.ts';
import { approvedPolicy, tenantKeyPolicy } from '../../src/scenario/catalogue/key-policy/policies.ts';

const DOC_PATH = fileURLToPath(new URL('../../docs/key-policies.md', import.meta.url));

/** The lint error each KP mistake must draw (the KP scenarios rely on KMS refusing exactly these). */
const EXPECTED_ERROR: Readonly<Record<string, string>> = {
  'KP-01': 'KP_ACCOUNT_WIDE_KMS_ALL',
  'KP-02': 'KP_UNGATED_KEY_RELEASE',
  'KP-03': 'KP_ZERO_PCR',
  'KP-04': 'KP_WEAK_MEASUREMENT',
};

describe('docs/key-policies.md', () => {
  it('is what the linter says today (UPDATE_DOCS=1 rewrites it)', () => {
    const rendered = renderKeyPolicyDoc();
    if (process.env['UPDATE_DOCS'] === '1') writeFileSync(DOC_PATH, rendered);
    expect(readFileSync(DOC_PATH, 'utf8')).toBe(rendered);
  });

  it('the attested policy is clean, and each mistake draws its lint error', () => {
    expect(lintKeyPolicy(JSON.stringify(approvedPolicy(DOC_PARTIES)))).toEqual([]);
    const examples = policyExamples();
    expect(examples.map((e) => e.id)).toEqual(['KP-01', 'KP-02', 'KP-03', 'KP-04', 'KP-05', 'KP-05']);
    for (const example of examples) {
      const errors = lintKeyPolicy(JSON.stringify(example.policy)).filter((f) => f.severity === 'error').map((f) => f.code);
      const expected = EXPECTED_ERROR[example.id];
      if (expected !== undefined) expect(errors, example.title).toContain(expected);
      else expect(errors.some((c) => c === 'KP_IF_EXISTS_ATTESTATION' || c === 'KP_UNKNOWN_CONDITION_KEY'), example.title).toBe(true);
    }
  });

  it('PCR3 alone is an error, PCR8 alone only a warning (the signer still pins the code)', () => {
    const withOnly = (key: string) => ({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Owner', Effect: 'Allow', Principal: { AWS: DOC_PARTIES.ownerArn }, Action: 'kms:*', Resource: '*' },
        { Sid: 'Enclave', Effect: 'Allow', Principal: { AWS: DOC_PARTIES.parentRoleArn }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { [key]: 'c3'.repeat(48) } } },
      ],
    });
    expect(lintKeyPolicy(withOnly('kms:RecipientAttestation:PCR3'))).toEqual([expect.objectContaining({ code: 'KP_WEAK_MEASUREMENT', severity: 'error' })]);
    expect(lintKeyPolicy(withOnly('kms:RecipientAttestation:PCR8'))).toEqual([expect.objectContaining({ code: 'KP_WEAK_MEASUREMENT', severity: 'warning' })]);
  });

  it('the tenant policies lint clean with or without context binding (a mistake only a review finds)', () => {
    const tenants = [
      { roleArn: DOC_PARTIES.parentRoleArn, pcr0: DOC_PARTIES.approvedPcr0, model: 'a' },
      { roleArn: 'arn:aws:iam::444455556666:role/co-tenant-role', pcr0: 'b2'.repeat(48), model: 'b' },
    ];
    expect(lintKeyPolicy(JSON.stringify(tenantKeyPolicy(DOC_PARTIES, tenants, false)))).toEqual([]);
    expect(lintKeyPolicy(JSON.stringify(tenantKeyPolicy(DOC_PARTIES, tenants, true)))).toEqual([]);
  });
});
