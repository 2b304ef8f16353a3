import { describe, expect, it } from 'vitest';
import { openEnvelopedData, utf8 } from '../../src/crypto/index.ts';
import { APPROVED_PCR0_HEX, attestationDoc, createKey, makeWorld, OUTSIDER, OWNER, PARENT, recipient, refusal, type TestWorld } from './fixture.ts';

const IMAGE = 'kms:RecipientAttestation:ImageSha384';

/** Only the owner may use the key; the parent has nothing unless a grant gives it something. */
function ownerOnlyPolicy(extra: object[] = []): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'Owner', Effect: 'Allow', Principal: { AWS: OWNER.arn }, Action: 'kms:*', Resource: '*' }, ...extra],
  });
}

function setup(world: TestWorld, policy = ownerOnlyPolicy(), context: Record<string, string> = { tenant: 'a' }) {
  const keyId = createKey(world, policy);
  const { CiphertextBlob, Plaintext } = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }, OWNER);
  return { keyId, blob: CiphertextBlob, dataKey: Plaintext! };
}

describe('grants', () => {
  it('a grant lets its grantee Decrypt; listed, audited with its id, on the release record; retired, it is gone', () => {
    const world = makeWorld();
    const { keyId, blob, dataKey } = setup(world);
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { tenant: 'a' } }, PARENT)).code).toBe('KMS_POLICY_DENIED');
    const { GrantId, GrantToken } = world.kms.call(
      'CreateGrant',
      { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'], RetiringPrincipal: OWNER.arn, Name: 'inference' },
      OWNER,
    );
    expect(GrantId).toMatch(/^[0-9a-f]{64}$/);
    const out = world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { tenant: 'a' }, GrantTokens: [GrantToken] }, PARENT);
    expect(out.Plaintext).toEqual(dataKey);
    expect(world.kms.releases.at(-1)).toMatchObject({ operation: 'Decrypt', caller: PARENT.arn, via: 'plaintext', grantId: GrantId });
    expect(world.kms.audit.entries.at(-1)).toMatchObject({ actor: PARENT.arn, action: 'kms:Decrypt', outcome: 'ok', details: { keyId, grantId: GrantId } });
    const listed = world.kms.call('ListGrants', { KeyId: keyId }, OWNER);
    expect(listed.Grants).toEqual([
      expect.objectContaining({ GrantId, KeyId: keyId, GranteePrincipal: PARENT.arn, RetiringPrincipal: OWNER.arn, Operations: ['Decrypt'], Name: 'inference' }),
    ]);
    // Only the retiring principal (or the grantee with RetireGrant, or the account root) may retire it.
    expect(refusal(() => world.kms.call('RetireGrant', { GrantToken }, PARENT)).code).toBe('KMS_GRANT_RETIRE_DENIED');
    world.kms.call('RetireGrant', { GrantToken }, OWNER);
    expect(world.kms.call('ListGrants', { KeyId: keyId }, OWNER).Grants).toEqual([]);
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { tenant: 'a' } }, PARENT)).code).toBe('KMS_POLICY_DENIED');
    expect(refusal(() => world.kms.call('RetireGrant', { GrantToken }, OWNER)).awsType).toBe('InvalidGrantTokenException');
  });

  it('a grant covers only its operations and its encryption-context constraints', () => {
    const world = makeWorld();
    const { keyId, blob } = setup(world);
    world.kms.call(
      'CreateGrant',
      { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: { tenant: 'b' } } },
      OWNER,
    );
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { tenant: 'a' } }, PARENT)).code).toBe('KMS_POLICY_DENIED');
    expect(refusal(() => world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { tenant: 'b' } }, PARENT)).code).toBe(
      'KMS_POLICY_DENIED',
    );
    const equals = world.kms.call(
      'CreateGrant',
      { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'], Constraints: { EncryptionContextEquals: { tenant: 'a' } } },
      OWNER,
    );
    expect(world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { tenant: 'a' } }, PARENT).Plaintext).toBeDefined();
    expect(world.kms.releases.at(-1)!.grantId).toBe(equals.GrantId);
    // Another principal holds nothing.
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { tenant: 'a' } }, OUTSIDER)).code).toBe('KMS_POLICY_DENIED');
  });

  it('a grant does not widen past the key policy\'s explicit Deny on missing attestation (KP-06)', () => {
    const world = makeWorld();
    const requireEnclave = [
      { Sid: 'Enclave', Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEqualsIgnoreCase: { [IMAGE]: APPROVED_PCR0_HEX } } },
      { Sid: 'NoDecryptWithoutAttestation', Effect: 'Deny', Principal: { AWS: PARENT.arn }, Action: 'kms:Decrypt', Resource: '*', Condition: { Null: { [IMAGE]: 'true' } } },
    ];
    const { keyId, blob, dataKey } = setup(world, ownerOnlyPolicy(requireEnclave));
    const { GrantToken } = world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'] }, OWNER);
    const denied = refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { tenant: 'a' }, GrantTokens: [GrantToken] }, PARENT));
    expect(denied).toMatchObject({ code: 'KMS_POLICY_EXPLICIT_DENY', details: { sid: 'NoDecryptWithoutAttestation' } });
    // The attested enclave still gets the key (by the policy), wrapped to its key.
    const attested = world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { tenant: 'a' }, Recipient: recipient(attestationDoc(world)) }, PARENT);
    expect(openEnvelopedData(attested.CiphertextForRecipient!, world.enclaveKey)).toEqual(dataKey);
    // Control: the same grant on a key without the Deny hands the parent the plaintext.
    const control = setup(world);
    world.kms.call('CreateGrant', { KeyId: control.keyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'] }, OWNER);
    expect(world.kms.call('Decrypt', { CiphertextBlob: control.blob, EncryptionContext: { tenant: 'a' } }, PARENT).Plaintext).toEqual(control.dataKey);
  });

  it('who may create, revoke and list grants; a grant hands on only what it holds', () => {
    const world = makeWorld();
    const { keyId } = setup(world);
    expect(refusal(() => world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'] }, PARENT)).code).toBe(
      'KMS_POLICY_DENIED',
    );
    const delegating = world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['CreateGrant', 'Encrypt'] }, OWNER);
    const widened = refusal(() => world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: OUTSIDER.arn, Operations: ['Decrypt'] }, PARENT));
    expect(widened.code).toBe('KMS_GRANT_WIDENS');
    world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: OUTSIDER.arn, Operations: ['Encrypt'] }, PARENT);
    expect(world.kms.call('ListGrants', { KeyId: keyId }, OWNER).Grants).toHaveLength(2);
    expect(refusal(() => world.kms.call('ListGrants', { KeyId: keyId }, PARENT)).code).toBe('KMS_POLICY_DENIED');
    expect(refusal(() => world.kms.call('RevokeGrant', { KeyId: keyId, GrantId: delegating.GrantId }, PARENT)).code).toBe('KMS_POLICY_DENIED');
    world.kms.call('RevokeGrant', { KeyId: keyId, GrantId: delegating.GrantId }, OWNER);
    expect(world.kms.call('ListGrants', { KeyId: keyId }, OWNER).Grants.map((g) => g.GranteePrincipal)).toEqual([OUTSIDER.arn]);
    expect(refusal(() => world.kms.call('RevokeGrant', { KeyId: keyId, GrantId: delegating.GrantId }, OWNER)).awsType).toBe('InvalidGrantIdException');
    // The grantee retires its own grant only when the grant includes RetireGrant; the account root always may.
    const own = world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Encrypt', 'RetireGrant'] }, OWNER);
    world.kms.call('RetireGrant', { KeyId: keyId, GrantId: own.GrantId }, PARENT);
    const other = world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Encrypt'] }, OWNER);
    world.kms.call('RetireGrant', { KeyId: keyId, GrantId: other.GrantId }, { arn: 'arn:aws:iam::111122223333:root' });
    expect(world.kms.grantCount).toBe(1);
  });

  it('refused and dry-run grant calls change nothing; bad tokens and fields are typed errors', () => {
    const world = makeWorld();
    const { keyId, blob } = setup(world);
    const state = world.kms.stateDigest();
    expect(refusal(() => world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'], DryRun: true }, OWNER)).awsType).toBe(
      'DryRunOperationException',
    );
    expect(refusal(() => world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: 'parent', Operations: ['Decrypt'] }, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Sign'] as never }, OWNER)).awsType).toBe(
      'ValidationException',
    );
    expect(refusal(() => world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: [] }, OWNER)).awsType).toBe('ValidationException');
    expect(world.kms.stateDigest()).toBe(state);
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { tenant: 'a' }, GrantTokens: ['forged'] }, OWNER)).awsType).toBe(
      'InvalidGrantTokenException',
    );
    expect(refusal(() => world.kms.call('RetireGrant', {}, OWNER)).awsType).toBe('ValidationException');
    // Grants are in the state digest: a grant that is created changes it.
    world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Encrypt'] }, OWNER);
    expect(world.kms.stateDigest()).not.toBe(state);
    expect(world.kms.call('Encrypt', { KeyId: keyId, Plaintext: utf8('x') }, PARENT).CiphertextBlob).toBeInstanceOf(Uint8Array);
  });
});
