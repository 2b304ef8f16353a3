import { describe, expect, it } from 'vitest';
import { fromBase64, p384KeyPair, p384SharedSecret, p384Spki, toBase64, utf8 } from '../../src/crypto/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { makeWorld, OWNER, PARENT } from './fixture.ts';

function call(world: ReturnType<typeof makeWorld>, operation: string, body: unknown, caller = OWNER) {
  const reply = world.kms.handleJson(`TrentService.${operation}`, JSON.stringify(body), caller);
  return { status: reply.status, body: JSON.parse(reply.body) as Record<string, unknown> };
}

describe('the new operations over AWS JSON 1.1', () => {
  it('CreateGrant, grant-based Encrypt, ListGrants, RevokeGrant, ReEncrypt', () => {
    const world = makeWorld();
    const keyId = (call(world, 'CreateKey', {}).body['KeyMetadata'] as { KeyId: string }).KeyId;
    const other = (call(world, 'CreateKey', {}).body['KeyMetadata'] as { KeyId: string }).KeyId;
    const grant = call(world, 'CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: ['Encrypt'], Constraints: { EncryptionContextEquals: { a: 'b' } } });
    expect(grant.status).toBe(200);
    const encrypted = call(world, 'Encrypt', { KeyId: keyId, Plaintext: toBase64(utf8('hi')), EncryptionContext: { a: 'b' }, GrantTokens: [grant.body['GrantToken']] });
    expect(encrypted.status).toBe(200);
    const listed = call(world, 'ListGrants', { KeyId: keyId });
    expect((listed.body['Grants'] as { GrantId: string }[])[0]!.GrantId).toBe(grant.body['GrantId']);
    expect(call(world, 'RevokeGrant', { KeyId: keyId, GrantId: grant.body['GrantId'] }).status).toBe(200);
    const moved = call(world, 'ReEncrypt', { CiphertextBlob: encrypted.body['CiphertextBlob'], SourceEncryptionContext: { a: 'b' }, DestinationKeyId: other });
    expect(moved.status).toBe(200);
    const back = call(world, 'Decrypt', { CiphertextBlob: moved.body['CiphertextBlob'] });
    expect(fromBase64(back.body['Plaintext'] as string)).toEqual(utf8('hi'));
    // A wrong field type is the deserializer's error.
    const bad = call(world, 'CreateGrant', { KeyId: keyId, GranteePrincipal: PARENT.arn, Operations: 'Encrypt' });
    expect(bad.body['__type']).toBe('SerializationException');
  });

  it('CreateKey KEY_AGREEMENT, GetPublicKey and DeriveSharedSecret with base64 keys', () => {
    const world = makeWorld();
    const created = call(world, 'CreateKey', { KeyUsage: 'KEY_AGREEMENT', KeySpec: 'ECC_NIST_P384' });
    const keyId = (created.body['KeyMetadata'] as { KeyId: string }).KeyId;
    const publicKey = fromBase64(call(world, 'GetPublicKey', { KeyId: keyId }).body['PublicKey'] as string);
    const peer = p384KeyPair(new Simulator({ seed: 9 }).prng('peer'));
    const derived = call(world, 'DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: toBase64(p384Spki(peer.publicKey)) });
    expect(derived.status).toBe(200);
    expect(fromBase64(derived.body['SharedSecret'] as string)).toEqual(p384SharedSecret(peer.privateKey, publicKey.subarray(-97)));
  });
});
