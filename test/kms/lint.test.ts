import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closestConditionKey, defaultKeyPolicyText, lintKeyPolicy, type Finding } from '../../src/kms/index.ts';
import { attestedKeyPolicy, unattestedKeyPolicy } from '../../src/world/policies.ts';
import { cli, tempDir } from '../helpers/cli.ts';
import { APPROVED_PCR0_HEX, attestedPolicy, OWNER, PARENT } from './fixture.ts';

const ROOT = 'arn:aws:iam::111122223333:root';
const IMAGE = 'kms:RecipientAttestation:ImageSha384';

function policy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
const ownerAdmin = { Sid: 'Owner', Effect: 'Allow', Principal: { AWS: OWNER.arn }, Action: 'kms:*', Resource: '*' };
function parentDecrypt(condition?: object, action: string | string[] = 'kms:Decrypt'): object {
  return { Sid: 'Parent', Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: action, Resource: '*', ...(condition ? { Condition: condition } : {}) };
}
const gated = parentDecrypt({ StringEqualsIgnoreCase: { [IMAGE]: APPROVED_PCR0_HEX } });

function codes(findings: readonly Finding[], severity?: Finding['severity']): string[] {
  return findings.filter((f) => severity === undefined || f.severity === severity).map((f) => f.code);
}

describe('key-policy linter', () => {
  it('finds nothing in the attested policies the world and the KMS tests use', () => {
    const world = attestedKeyPolicy('arn:aws:iam::111122223333:user/model-owner', PARENT.arn, APPROVED_PCR0_HEX);
    expect(lintKeyPolicy(world, { approvedPcr0s: [APPROVED_PCR0_HEX] })).toEqual([]);
    expect(lintKeyPolicy(attestedPolicy())).toEqual([]);
    expect(lintKeyPolicy(policy(ownerAdmin, gated))).toEqual([]);
  });

  it('account-wide kms:*: a warning on a plain key, an error on an attestation-gated key (KP-01)', () => {
    expect(codes(lintKeyPolicy(defaultKeyPolicyText('111122223333')))).toEqual(['KP_ACCOUNT_WIDE_KMS_ALL']);
    expect(codes(lintKeyPolicy(defaultKeyPolicyText('111122223333')), 'error')).toEqual([]);
    const rootAll = { Sid: 'Root', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' };
    const findings = lintKeyPolicy(policy(rootAll, gated));
    expect(findings).toEqual([expect.objectContaining({ code: 'KP_ACCOUNT_WIDE_KMS_ALL', severity: 'error', statement: 'Root' })]);
    // An account id in place of the root ARN, and the "*" principal, are the same mistake.
    const starAll = { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' };
    expect(codes(lintKeyPolicy(policy(starAll, gated)), 'error')).toEqual(['KP_ACCOUNT_WIDE_KMS_ALL']);
    const idAll = { ...rootAll, Principal: { AWS: '111122223333' } };
    expect(codes(lintKeyPolicy(policy(idAll, gated)), 'error')).toEqual(['KP_ACCOUNT_WIDE_KMS_ALL']);
  });

  it('key-yielding operations open to a non-owner without attestation (KP-02)', () => {
    const openGdk = parentDecrypt(undefined, ['kms:GenerateDataKey*', 'kms:ReEncrypt*']);
    const findings = lintKeyPolicy(policy(ownerAdmin, gated, { ...openGdk, Sid: 'Open' }));
    expect(findings).toEqual([expect.objectContaining({ code: 'KP_UNGATED_KEY_RELEASE', severity: 'error', statement: 'Open' })]);
    expect(findings[0]!.message).toContain('GenerateDataKey');
    expect(findings[0]!.message).toContain('ReEncryptFrom');
    // Without any attestation on the key, the same statement is a plain (non-enclave) key: a warning.
    expect(codes(lintKeyPolicy(unattestedKeyPolicy(OWNER.arn, PARENT.arn)))).toEqual(['KP_UNGATED_KEY_RELEASE']);
    expect(codes(lintKeyPolicy(unattestedKeyPolicy(OWNER.arn, PARENT.arn)), 'error')).toEqual([]);
    // An explicit Deny when attestation is absent gates the same statement.
    const deny = { Sid: 'Deny', Effect: 'Deny', Principal: { AWS: PARENT.arn }, Action: ['kms:GenerateDataKey*', 'kms:ReEncrypt*'], Resource: '*', Condition: { Null: { [IMAGE]: 'true' } } };
    expect(lintKeyPolicy(policy(ownerAdmin, gated, openGdk, deny))).toEqual([]);
  });

  it('the all-zero PCR in any attestation condition (KP-03)', () => {
    const zero = '0'.repeat(96);
    const findings = lintKeyPolicy(policy(ownerAdmin, parentDecrypt({ StringEqualsIgnoreCase: { [IMAGE]: [APPROVED_PCR0_HEX, zero] } })));
    expect(codes(findings)).toEqual(['KP_ZERO_PCR']);
    expect(codes(lintKeyPolicy(policy(ownerAdmin, parentDecrypt({ StringEquals: { 'kms:RecipientAttestation:PCR8': zero, [IMAGE]: APPROVED_PCR0_HEX } })))))
      .toEqual(['KP_ZERO_PCR']);
  });

  it('attestation on PCR3/PCR4/PCR8 only, without the image (KP-04): a warning', () => {
    const findings = lintKeyPolicy(policy(ownerAdmin, parentDecrypt({ StringEquals: { 'kms:RecipientAttestation:PCR3': 'a'.repeat(96), 'kms:RecipientAttestation:PCR8': 'b'.repeat(96) } })));
    expect(findings).toEqual([expect.objectContaining({ code: 'KP_WEAK_MEASUREMENT', severity: 'warning' })]);
    // Adding PCR0 fixes it.
    expect(lintKeyPolicy(policy(ownerAdmin, parentDecrypt({ StringEquals: { 'kms:RecipientAttestation:PCR0': APPROVED_PCR0_HEX, 'kms:RecipientAttestation:PCR8': 'b'.repeat(96) } })))).toEqual([]);
  });

  it('…IfExists and wildcards on attestation keys, and unknown keys with a suggestion (KP-05)', () => {
    // Neither gates the statement, so it is also an ungated release.
    expect(codes(lintKeyPolicy(policy(ownerAdmin, parentDecrypt({ StringEqualsIgnoreCaseIfExists: { [IMAGE]: APPROVED_PCR0_HEX } }))))).toEqual([
      'KP_IF_EXISTS_ATTESTATION',
      'KP_UNGATED_KEY_RELEASE',
    ]);
    expect(codes(lintKeyPolicy(policy(ownerAdmin, parentDecrypt({ StringLike: { [IMAGE]: `${APPROVED_PCR0_HEX.slice(0, 10)}*` } }))))).toEqual([
      'KP_WILDCARD_ATTESTATION',
      'KP_UNGATED_KEY_RELEASE',
    ]);
    const typo = lintKeyPolicy(policy(ownerAdmin, gated, parentDecrypt({ StringEquals: { 'kms:RecipientAtestation:ImageSha384': APPROVED_PCR0_HEX } }, 'kms:GenerateDataKey')));
    expect(codes(typo, 'error')).toContain('KP_UNKNOWN_CONDITION_KEY');
    expect(typo.find((f) => f.code === 'KP_UNKNOWN_CONDITION_KEY')!.message).toContain(`did you mean "${IMAGE}"`);
    expect(closestConditionKey('kms:RecipientAttestation:PRC0')).toBe('kms:RecipientAttestation:PCR0');
    expect(closestConditionKey('kms:calleracount')).toBe('kms:CallerAccount');
  });

  it('an image the owner did not approve, when told which are approved', () => {
    const other = 'ab'.repeat(48);
    const findings = lintKeyPolicy(policy(ownerAdmin, parentDecrypt({ StringEqualsIgnoreCase: { [IMAGE]: other } })), { approvedPcr0s: [APPROVED_PCR0_HEX] });
    expect(codes(findings)).toEqual(['KP_UNAPPROVED_PCR0']);
  });

  it('a text that is not a policy is one error, never an exception', () => {
    for (const text of ['{', '[]', '{"Statement": []}', 'null', '"x"']) {
      expect(codes(lintKeyPolicy(text))).toEqual(['KP_NOT_A_POLICY']);
    }
    // Odd shapes inside statements are skipped (the parser refuses them), not crashed on.
    expect(() => lintKeyPolicy({ Statement: [1, { Principal: 5, Action: {}, Condition: [] }, { Condition: { StringEquals: 3 } }] })).not.toThrow();
  });
});

describe('key-policy linter on arbitrary input', () => {
  it('never throws and returns only well-formed findings', () => {
    const key = fc.constantFrom(IMAGE, 'kms:RecipientAttestation:PCR8', 'kms:recipientattestation:pcr0', 'kms:CallerAccount', 'kms:Bogus', 'aws:SourceIp');
    const statement = fc.record({
      Sid: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
      Effect: fc.constantFrom('Allow', 'Deny', 'Maybe'),
      Principal: fc.oneof(fc.constant('*'), fc.record({ AWS: fc.constantFrom(ROOT, PARENT.arn, OWNER.arn, '111122223333', '*') }), fc.anything()),
      Action: fc.oneof(fc.constantFrom('kms:*', 'kms:Decrypt', 'kms:GenerateDataKey*', '*', 'kms:ReEncrypt*'), fc.array(fc.string(), { maxLength: 3 })),
      Condition: fc.option(
        fc.dictionary(fc.constantFrom('StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'StringEqualsIfExists', 'Null', 'Bogus'), fc.dictionary(key, fc.oneof(fc.constantFrom('0'.repeat(96), APPROVED_PCR0_HEX, 'ab*', ''), fc.array(fc.constantFrom('0'.repeat(96), APPROVED_PCR0_HEX, 'ab*', ''), { maxLength: 2 }), fc.anything()))),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(fc.oneof(fc.array(statement, { maxLength: 5 }).map((Statement) => ({ Version: '2012-10-17', Statement })), fc.anything()), (doc) => {
        const findings = lintKeyPolicy(doc as object);
        for (const f of findings) {
          expect(['error', 'warning']).toContain(f.severity);
          expect(f.code).toMatch(/^KP_[A-Z0-9_]+$/);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe('nitro-emu kms lint-policy', () => {
  it('exits 0 on a clean policy, 1 with errors, 2 on bad usage; --json carries the findings', async () => {
    const dir = tempDir();
    const clean = join(dir, 'clean.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(clean, attestedPolicy());
    writeFileSync(bad, attestedPolicy('0'.repeat(96)));
    const ok = await cli(['kms', 'lint-policy', clean]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('0 error(s), 0 warning(s)');
    const failed = await cli(['kms', 'lint-policy', bad, '--json']);
    expect(failed.code).toBe(1);
    const report = JSON.parse(failed.stdout) as { errors: number; findings: Finding[] };
    expect(report.errors).toBe(1);
    expect(report.findings[0]).toMatchObject({ code: 'KP_ZERO_PCR', severity: 'error', statement: 'EnclaveOnly' });
    expect((await cli(['kms', 'lint-policy'])).code).toBe(2);
    expect((await cli(['kms', 'frobnicate', clean])).code).toBe(2);
    expect((await cli(['kms', 'lint-policy', clean, '--approved-pcr0', 'zz'])).code).toBe(2);
    expect((await cli(['kms', 'lint-policy', clean, '--approved-pcr0', 'ab'.repeat(48)])).code).toBe(1);
  });
});
