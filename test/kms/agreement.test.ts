import { describe, expect, it } from 'vitest';
import { openEnvelopedData, p384KeyPair, p384SharedSecret, p384Spki, utf8 } from '../../src/crypto/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { APPROVED_PCR0_HEX, attestationDoc, createKey, makeWorld, OWNER, PARENT, recipient, refusal, type TestWorld } from './fixture.ts';

const IMAGE = 'kms:RecipientAttestation:ImageSha384';
const peer = p384KeyPair(new Simulator({ seed: 5 }).prng('test.peer'));
const peerSpki = p384Spki(peer.publicKey);

function policy(parentStatements: object[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'Owner', Effect: 'Allow', Principal: { AWS: OWNER.arn }, Action: 'kms:*', Resource: '*' }, ...parentStatements],
  });
}
const attestedAgreement = policy([
  { Sid: 'Enclave', Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: ['kms:DeriveSharedSecret', 'kms:GetPublicKey'], Resource: '*', Condition: { StringEqualsIgnoreCase: { [IMAGE]: APPROVED_PCR0_HEX } } },
]);

function agreementKey(world: TestWorld, text = attestedAgreement): string {
  return world.kms.call('CreateKey', { KeyUsage: 'KEY_AGREEMENT', KeySpec: 'ECC_NIST_P384', Policy: text }, OWNER).KeyMetadata.KeyId;
}

describe('DeriveSharedSecret (KEY_AGREEMENT keys)', () => {
  it('creates an ECC_NIST_P384 key agreement key whose ECDH secret matches the peer\'s side', () => {
    const world = makeWorld();
    const keyId = agreementKey(world);
    const meta = world.kms.call('DescribeKey', { KeyId: keyId }, OWNER).KeyMetadata;
    expect(meta).toMatchObject({ KeyUsage: 'KEY_AGREEMENT', KeySpec: 'ECC_NIST_P384', KeyAgreementAlgorithms: ['ECDH'] });
    expect(meta.EncryptionAlgorithms).toBeUndefined();
    const kmsPublic = world.kms.call('GetPublicKey', { KeyId: keyId }, OWNER).PublicKey;
    const out = world.kms.call('DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki }, OWNER);
    expect(out.SharedSecret).toHaveLength(48);
    expect(out.SharedSecret).toEqual(p384SharedSecret(peer.privateKey, kmsPublic.subarray(-97)));
    expect(world.kms.releases.at(-1)).toMatchObject({ operation: 'DeriveSharedSecret', keyId, caller: OWNER.arn, via: 'plaintext' });
  });

  it('with a Recipient the secret leaves only wrapped to the attested key; without attestation the parent is refused', () => {
    const world = makeWorld();
    const keyId = agreementKey(world);
    const expected = world.kms.call('DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki }, OWNER).SharedSecret!;
    const out = world.kms.call('DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki, Recipient: recipient(attestationDoc(world)) }, PARENT);
    expect(out.SharedSecret).toBeUndefined();
    expect(openEnvelopedData(out.CiphertextForRecipient!, world.enclaveKey)).toEqual(expected);
    expect(world.kms.releases.at(-1)).toMatchObject({ operation: 'DeriveSharedSecret', via: 'recipient', pcr0: APPROVED_PCR0_HEX });
    const releases = world.kms.releases.length;
    expect(refusal(() => world.kms.call('DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki }, PARENT)).code).toBe('KMS_POLICY_DENIED');
    expect(world.kms.releases).toHaveLength(releases);
  });

  it('refuses the wrong key usage, a bad public key and mismatched spec/usage', () => {
    const world = makeWorld();
    const agreement = agreementKey(world);
    const symmetric = createKey(world);
    expect(refusal(() => world.kms.call('Encrypt', { KeyId: agreement, Plaintext: utf8('x') }, OWNER)).awsType).toBe('InvalidKeyUsageException');
    expect(refusal(() => world.kms.call('DeriveSharedSecret', { KeyId: symmetric, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki }, OWNER)).awsType).toBe(
      'InvalidKeyUsageException',
    );
    expect(refusal(() => world.kms.call('GetPublicKey', { KeyId: symmetric }, OWNER)).awsType).toBe('InvalidKeyUsageException');
    const offCurve = peerSpki.slice();
    offCurve[offCurve.length - 1]! ^= 1;
    expect(refusal(() => world.kms.call('DeriveSharedSecret', { KeyId: agreement, KeyAgreementAlgorithm: 'ECDH', PublicKey: offCurve }, OWNER)).awsType).toBe(
      'ValidationException',
    );
    expect(refusal(() => world.kms.call('DeriveSharedSecret', { KeyId: agreement, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki.subarray(1) }, OWNER)).awsType).toBe(
      'ValidationException',
    );
    expect(refusal(() => world.kms.call('DeriveSharedSecret', { KeyId: agreement, PublicKey: peerSpki } as never, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('CreateKey', { KeyUsage: 'KEY_AGREEMENT' }, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('CreateKey', { KeySpec: 'ECC_NIST_P384' }, OWNER)).awsType).toBe('ValidationException');
    expect(world.kms.releases).toHaveLength(0);
  });
});

describe('ReEncrypt', () => {
  function twoKeys(world: TestWorld, modelPolicy?: string) {
    const model = createKey(world, modelPolicy);
    // The parent's own key: it may do anything with it.
    const own = createKey(world, policy([{ Sid: 'Parent', Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: 'kms:*', Resource: '*' }]));
    const { CiphertextBlob, Plaintext } = world.kms.call('GenerateDataKey', { KeyId: model, KeySpec: 'AES_256', EncryptionContext: { m: '1' } }, OWNER);
    return { model, own, blob: CiphertextBlob, dataKey: Plaintext! };
  }

  it('moves a ciphertext to another key without the plaintext leaving KMS; both contexts are checked', () => {
    const world = makeWorld();
    const { model, own, blob, dataKey } = twoKeys(world);
    const out = world.kms.call('ReEncrypt', { CiphertextBlob: blob, SourceEncryptionContext: { m: '1' }, DestinationKeyId: own, DestinationEncryptionContext: { d: '2' } }, OWNER);
    expect(out.SourceKeyId).toContain(model);
    expect(out.KeyId).toContain(own);
    expect(world.kms.releases.at(-1)).toMatchObject({ operation: 'ReEncrypt', keyId: model, destinationKeyId: own, via: 'reencrypt' });
    expect(world.kms.call('Decrypt', { CiphertextBlob: out.CiphertextBlob, EncryptionContext: { d: '2' } }, OWNER).Plaintext).toEqual(dataKey);
    expect(refusal(() => world.kms.call('ReEncrypt', { CiphertextBlob: blob, DestinationKeyId: own }, OWNER)).code).toBe('KMS_INVALID_CIPHERTEXT');
    expect(refusal(() => world.kms.call('ReEncrypt', { CiphertextBlob: blob, SourceEncryptionContext: { m: '1' }, SourceKeyId: own, DestinationKeyId: own }, OWNER)).code).toBe(
      'KMS_INCORRECT_KEY',
    );
  });

  it('KP-02: re-encrypting the model\'s data key to the parent\'s own key is denied by the attested policy; open ReEncrypt* lets it out', () => {
    const world = makeWorld();
    const gated = policy([
      { Sid: 'Enclave', Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEqualsIgnoreCase: { [IMAGE]: APPROVED_PCR0_HEX } } },
    ]);
    const defended = twoKeys(world, gated);
    const state = world.kms.stateDigest();
    const denied = refusal(() =>
      world.kms.call('ReEncrypt', { CiphertextBlob: defended.blob, SourceEncryptionContext: { m: '1' }, DestinationKeyId: defended.own }, PARENT),
    );
    expect(denied.code).toBe('KMS_POLICY_DENIED');
    expect(denied.awsMessage).toContain('kms:ReEncryptFrom');
    expect(world.kms.stateDigest()).toBe(state);

    // The control: ReEncrypt* left open to the parent (the linter refuses this policy, so it is stored with it off).
    const control = makeWorld(7, { defences: { policyLint: false } });
    const open = policy([
      { Sid: 'Enclave', Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEqualsIgnoreCase: { [IMAGE]: APPROVED_PCR0_HEX } } },
      { Sid: 'Rotation', Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: 'kms:ReEncrypt*', Resource: '*' },
    ]);
    expect(refusal(() => createKey(makeWorld(), open)).details?.['codes']).toEqual(['KP_UNGATED_KEY_RELEASE']);
    const leaked = twoKeys(control, open);
    const moved = control.kms.call('ReEncrypt', { CiphertextBlob: leaked.blob, SourceEncryptionContext: { m: '1' }, DestinationKeyId: leaked.own }, PARENT);
    expect(control.kms.call('Decrypt', { CiphertextBlob: moved.CiphertextBlob }, PARENT).Plaintext).toEqual(leaked.dataKey);
    expect(control.kms.releases.filter((r) => r.caller === PARENT.arn).map((r) => r.via)).toEqual(['reencrypt', 'plaintext']);
  });

  it('the destination key\'s policy applies too (kms:ReEncryptTo), and DryRun answers only after both', () => {
    const world = makeWorld();
    const { blob } = twoKeys(world);
    const foreign = createKey(world, policy([]));
    const stranger = world.kms.call('CreateKey', { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: 'kms:*', Resource: '*' }] }), BypassPolicyLockoutSafetyCheck: true }, OWNER).KeyMetadata.KeyId;
    const denied = refusal(() => world.kms.call('ReEncrypt', { CiphertextBlob: blob, SourceEncryptionContext: { m: '1' }, DestinationKeyId: stranger, DryRun: true }, OWNER));
    expect(denied.awsMessage).toContain('kms:ReEncryptTo');
    expect(refusal(() => world.kms.call('ReEncrypt', { CiphertextBlob: blob, SourceEncryptionContext: { m: '1' }, DestinationKeyId: foreign, DryRun: true }, OWNER)).awsType).toBe(
      'DryRunOperationException',
    );
  });
});
