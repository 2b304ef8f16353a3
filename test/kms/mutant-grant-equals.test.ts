import { describe, expect, it } from 'vitest';
import { createKey, makeWorld, OWNER, PARENT, refusal } from './fixture.ts';

// Mutant kms-grant-equals-as-subset (scripts/mutant-list.ts): without the size comparison, EncryptionContextEquals
// would admit any part of the named context, e.g. a ciphertext made for a wider context's subset.
describe('grant constraint EncryptionContextEquals', () => {
  it('admits exactly the named context: not a part of it, not more', () => {
    const world = makeWorld();
    const keyId = createKey(
      world,
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Owner', Effect: 'Allow', Principal: { AWS: OWNER.arn }, Action: 'kms:*', Resource: '*' }] }),
    );
    const full = { tenant: 'a', model: 'm1' };
    const encryptFor = (context: Record<string, string>) =>
      world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }, OWNER).CiphertextBlob;
    const decrypt = (blob: Uint8Array, context: Record<string, string>) => world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: context }, PARENT);
    const partBlob = encryptFor({ tenant: 'a' });
    const fullBlob = encryptFor(full);
    const widerBlob = encryptFor({ ...full, extra: 'x' });
    // Negative control: before the grant the parent has nothing, so the acceptance below is the grant's.
    expect(refusal(() => decrypt(fullBlob, full)).code).toBe('KMS_POLICY_DENIED');
    world.kms.call('CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'], Constraints: { EncryptionContextEquals: full } }, OWNER);

    expect(decrypt(fullBlob, full).Plaintext).toBeInstanceOf(Uint8Array);
    const state = world.kms.stateDigest();
    expect(refusal(() => decrypt(partBlob, { tenant: 'a' })).code).toBe('KMS_POLICY_DENIED');
    expect(refusal(() => decrypt(widerBlob, { ...full, extra: 'x' })).code).toBe('KMS_POLICY_DENIED');
    expect(world.kms.stateDigest()).toBe(state);
  });
});
