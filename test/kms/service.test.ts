import { describe, expect, it } from 'vitest';
import { derToPem, equalBytes, p384Sign, p384Verify, parseP384PrivateKeyPem, rsaPublicKeyBits, utf8 } from '../../src/crypto/index.ts';
import { BLOB_OVERHEAD, defaultKeyPolicyText } from '../../src/kms/index.ts';
import { ACCOUNT, createKey, makeWorld, OUTSIDER, OWNER, PARENT, refusal, unconditionalPolicy } from './fixture.ts';
import { BLOB_HEADER_LENGTH, IV_LENGTH } from './imports.ts';

describe('keys, aliases and policies', () => {
  it('creates a key with the default policy and describes it by id, ARN, alias and alias ARN', () => {
    const { kms } = makeWorld();
    const created = kms.call('CreateKey', { Description: 'weights' }, OWNER).KeyMetadata;
    expect(created.KeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.Arn).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:key/${created.KeyId}`);
    expect(created).toMatchObject({ Enabled: true, KeyState: 'Enabled', Description: 'weights', AWSAccountId: ACCOUNT });
    expect(kms.call('GetKeyPolicy', { KeyId: created.KeyId }, OWNER).Policy).toBe(defaultKeyPolicyText(ACCOUNT));
    kms.call('CreateAlias', { AliasName: 'alias/weights', TargetKeyId: created.KeyId }, OWNER);
    for (const ref of [created.KeyId, created.Arn, 'alias/weights', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/weights`]) {
      expect(kms.call('DescribeKey', { KeyId: ref }, PARENT).KeyMetadata.KeyId).toBe(created.KeyId);
    }
    expect(kms.call('ListAliases', {}, OWNER).Aliases).toEqual([
      { AliasName: 'alias/weights', AliasArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/weights`, TargetKeyId: created.KeyId },
    ]);
  });

  it('refuses bad and duplicate aliases and unknown keys', () => {
    const { kms } = makeWorld();
    const keyId = kms.call('CreateKey', {}, OWNER).KeyMetadata.KeyId;
    kms.call('CreateAlias', { AliasName: 'alias/a', TargetKeyId: keyId }, OWNER);
    expect(refusal(() => kms.call('CreateAlias', { AliasName: 'alias/a', TargetKeyId: keyId }, OWNER)).awsType).toBe('AlreadyExistsException');
    expect(refusal(() => kms.call('CreateAlias', { AliasName: 'a', TargetKeyId: keyId }, OWNER)).awsType).toBe('InvalidAliasNameException');
    expect(refusal(() => kms.call('CreateAlias', { AliasName: 'alias/aws/x', TargetKeyId: keyId }, OWNER)).awsType).toBe('InvalidAliasNameException');
    expect(refusal(() => kms.call('CreateAlias', { AliasName: 'alias/sp ace', TargetKeyId: keyId }, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => kms.call('CreateAlias', { AliasName: 'alias/b', TargetKeyId: 'alias/a' }, OWNER)).awsType).toBe('ValidationException');
    const missing = refusal(() => kms.call('DescribeKey', { KeyId: '00000000-0000-4000-8000-000000000000' }, OWNER));
    expect(missing).toMatchObject({ code: 'KMS_NOT_FOUND', awsType: 'NotFoundException' });
    expect(refusal(() => kms.call('DescribeKey', { KeyId: 'alias/nope' }, OWNER)).awsType).toBe('NotFoundException');
  });

  it('lists keys in pages', () => {
    const world = makeWorld();
    const ids = [createKey(world), createKey(world), createKey(world)];
    const first = world.kms.call('ListKeys', { Limit: 2 }, OWNER);
    expect(first.Keys.map((k) => k.KeyId)).toEqual(ids.slice(0, 2));
    expect(first.Truncated).toBe(true);
    const second = world.kms.call('ListKeys', { Limit: 2, Marker: first.NextMarker! }, OWNER);
    expect(second).toEqual({ Keys: [{ KeyId: ids[2], KeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${ids[2]}` }], Truncated: false });
    expect(refusal(() => world.kms.call('ListKeys', { Marker: 'zz' }, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('ListKeys', {}, OUTSIDER)).awsType).toBe('AccessDeniedException');
  });

  it('enforces the key policy on admin calls and refuses a policy that locks the caller out', () => {
    const world = makeWorld();
    const keyId = createKey(world, unconditionalPolicy());
    const denied = refusal(() => world.kms.call('PutKeyPolicy', { KeyId: keyId, Policy: unconditionalPolicy() }, PARENT));
    expect(denied.awsType).toBe('AccessDeniedException');
    expect(denied.awsMessage).toBe(
      `User: ${PARENT.arn} is not authorized to perform: kms:PutKeyPolicy on resource: arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId} because no resource-based policy allows the kms:PutKeyPolicy action`,
    );
    const lockout = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: 'kms:Decrypt', Resource: '*' }],
    });
    const before = world.kms.stateDigest();
    expect(refusal(() => world.kms.call('PutKeyPolicy', { KeyId: keyId, Policy: lockout }, OWNER)).code).toBe('KMS_POLICY_LOCKOUT');
    expect(refusal(() => world.kms.call('PutKeyPolicy', { KeyId: keyId, Policy: '{"Version":"2012-10-17"}' }, OWNER)).code).toBe('KMS_MALFORMED_POLICY');
    expect(world.kms.stateDigest()).toBe(before);
    world.kms.call('PutKeyPolicy', { KeyId: keyId, Policy: lockout, BypassPolicyLockoutSafetyCheck: true }, OWNER);
    expect(world.kms.stateDigest()).not.toBe(before);
    expect(refusal(() => world.kms.call('GetKeyPolicy', { KeyId: keyId }, OWNER)).awsType).toBe('AccessDeniedException');
    expect(refusal(() => world.kms.call('CreateKey', { Policy: lockout }, OWNER)).code).toBe('KMS_POLICY_LOCKOUT');
  });

  it('refuses callers it cannot identify and keys from another account', () => {
    const world = makeWorld();
    expect(refusal(() => world.kms.call('CreateKey', {}, { arn: 'nobody' })).awsType).toBe('UnrecognizedClientException');
    expect(refusal(() => world.kms.call('CreateKey', {}, OUTSIDER)).code).toBe('KMS_ACCOUNT_DENIED');
  });
});

describe('encrypt and decrypt', () => {
  it('round-trips with an encryption context in any key order', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const plaintext = utf8('model weights chunk 0');
    const { CiphertextBlob, KeyId } = world.kms.call('Encrypt', { KeyId: keyId, Plaintext: plaintext, EncryptionContext: { a: '1', b: '2' } }, OWNER);
    expect(KeyId).toContain(keyId);
    expect(CiphertextBlob.length).toBe(plaintext.length + BLOB_OVERHEAD);
    const out = world.kms.call('Decrypt', { CiphertextBlob, EncryptionContext: { b: '2', a: '1' } }, OWNER);
    expect(out.Plaintext).toEqual(plaintext);
    expect(out.CiphertextForRecipient).toBeUndefined();
  });

  it('turns any tampering, a wrong context or an unknown key into the same InvalidCiphertextException', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const { CiphertextBlob } = world.kms.call('Encrypt', { KeyId: keyId, Plaintext: utf8('secret'), EncryptionContext: { k: 'v' } }, OWNER);
    const flipped = (offset: number) => {
      const copy = CiphertextBlob.slice();
      copy[offset]! ^= 0x01;
      return copy;
    };
    const attempts: [string, Uint8Array, Record<string, string>][] = [
      ['version byte', flipped(0), { k: 'v' }],
      ['key id', flipped(5), { k: 'v' }],
      ['iv', flipped(BLOB_HEADER_LENGTH + 1), { k: 'v' }],
      ['ciphertext', flipped(BLOB_HEADER_LENGTH + IV_LENGTH), { k: 'v' }],
      ['tag', flipped(CiphertextBlob.length - 1), { k: 'v' }],
      ['truncated', CiphertextBlob.slice(0, -1), { k: 'v' }],
      ['wrong context value', CiphertextBlob, { k: 'w' }],
      ['missing context', CiphertextBlob, {}],
      ['extra context', CiphertextBlob, { k: 'v', x: 'y' }],
    ];
    for (const [, blob, context] of attempts) {
      const error = refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: context }, OWNER));
      expect(error).toMatchObject({ code: 'KMS_INVALID_CIPHERTEXT', awsType: 'InvalidCiphertextException', awsMessage: 'The ciphertext is invalid.' });
    }
    expect(world.kms.releases).toHaveLength(0);
  });

  it('checks KeyId against the blob, and disabled keys', () => {
    const world = makeWorld();
    const a = createKey(world);
    const b = createKey(world);
    const { CiphertextBlob } = world.kms.call('Encrypt', { KeyId: a, Plaintext: utf8('x') }, OWNER);
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob, KeyId: b }, OWNER)).awsType).toBe('IncorrectKeyException');
    expect(world.kms.call('Decrypt', { CiphertextBlob, KeyId: a }, OWNER).Plaintext).toEqual(utf8('x'));
    world.kms.call('DisableKey', { KeyId: a }, OWNER);
    expect(world.kms.call('DescribeKey', { KeyId: a }, OWNER).KeyMetadata.KeyState).toBe('Disabled');
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob }, OWNER)).awsType).toBe('DisabledException');
    expect(refusal(() => world.kms.call('Encrypt', { KeyId: a, Plaintext: utf8('x') }, OWNER)).awsType).toBe('DisabledException');
    world.kms.call('EnableKey', { KeyId: a }, OWNER);
    expect(world.kms.call('Decrypt', { CiphertextBlob }, OWNER).Plaintext).toEqual(utf8('x'));
  });

  it('validates sizes and fields with AWS-like messages', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const tooBig = refusal(() => world.kms.call('Encrypt', { KeyId: keyId, Plaintext: new Uint8Array(4097) }, OWNER));
    expect(tooBig.awsMessage).toBe(
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
    expect(refusal(() => world.kms.call('Encrypt', { KeyId: keyId, Plaintext: new Uint8Array(0) }, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: new Uint8Array(6145) }, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('GenerateDataKey', { KeyId: keyId }, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', NumberOfBytes: 32 }, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('GenerateDataKey', { KeyId: keyId, NumberOfBytes: 1025 }, OWNER)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('Encrypt', { KeyId: keyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }, OWNER)).awsType).toBe('ValidationException');
    const unknownField = refusal(() => world.kms.call('Encrypt', { KeyId: keyId, Plaintext: utf8('x'), Keyid: 'oops' } as never, OWNER));
    expect(unknownField.awsMessage).toMatch(/Unknown field 'Keyid'/);
    expect(refusal(() => world.kms.call('Encrypt', { KeyId: keyId, Plaintext: 'x' } as never, OWNER)).awsType).toBe('ValidationException');
  });

  it('honours DryRun without doing anything', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    expect(refusal(() => world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', DryRun: true }, OWNER)).awsType).toBe('DryRunOperationException');
    expect(refusal(() => world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', DryRun: true }, OUTSIDER)).awsType).toBe('AccessDeniedException');
    expect(world.kms.releases).toHaveLength(0);
  });
});

describe('data keys and random bytes in plaintext', () => {
  it('GenerateDataKey returns a key that Decrypt of its blob gives back, and records a plaintext release', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const out = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { m: '1' } }, OWNER);
    expect(out.Plaintext).toHaveLength(32);
    const back = world.kms.call('Decrypt', { CiphertextBlob: out.CiphertextBlob, EncryptionContext: { m: '1' } }, OWNER);
    expect(back.Plaintext).toEqual(out.Plaintext);
    expect(world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_128' }, OWNER).Plaintext).toHaveLength(16);
    expect(world.kms.releases.map((r) => [r.operation, r.via, r.caller, r.keyId])).toEqual([
      ['GenerateDataKey', 'plaintext', OWNER.arn, keyId],
      ['Decrypt', 'plaintext', OWNER.arn, keyId],
      ['GenerateDataKey', 'plaintext', OWNER.arn, keyId],
    ]);
  });

  it('GenerateDataKeyWithoutPlaintext returns only the blob and releases nothing', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const out = world.kms.call('GenerateDataKeyWithoutPlaintext', { KeyId: keyId, NumberOfBytes: 24 }, OWNER);
    expect(Object.keys(out).sort()).toEqual(['CiphertextBlob', 'KeyId']);
    expect(world.kms.releases).toHaveLength(0);
    expect(world.kms.call('Decrypt', { CiphertextBlob: out.CiphertextBlob }, OWNER).Plaintext).toHaveLength(24);
  });

  it('GenerateDataKeyPair ECC_NIST_P384 returns a matching PKCS#8 / SPKI pair', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const out = world.kms.call('GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P384' }, OWNER);
    const parsed = parseP384PrivateKeyPem(derToPem(out.PrivateKeyPlaintext!, 'PRIVATE KEY'));
    expect(equalBytes(out.PublicKey.subarray(-97), parsed.publicKey)).toBe(true);
    const message = utf8('signed by the data key');
    expect(p384Verify(p384Sign(message, parsed.privateKey), message, out.PublicKey.subarray(-97))).toBe(true);
    const sealed = world.kms.call('Decrypt', { CiphertextBlob: out.PrivateKeyCiphertextBlob }, OWNER);
    expect(sealed.Plaintext).toEqual(out.PrivateKeyPlaintext);
  });

  it('GenerateDataKeyPair RSA_2048 returns a 2048-bit SPKI', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const out = world.kms.call('GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'RSA_2048' }, OWNER);
    expect(rsaPublicKeyBits(out.PublicKey)).toBe(2048);
    expect(out.PrivateKeyPlaintext!.length).toBeGreaterThan(1100);
    expect(refusal(() => world.kms.call('GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'RSA_4096' as never }, OWNER)).awsType).toBe('ValidationException');
  });

  it('GenerateRandom returns 1..1024 bytes', () => {
    const world = makeWorld();
    const a = world.kms.call('GenerateRandom', { NumberOfBytes: 1024 }, PARENT).Plaintext!;
    const b = world.kms.call('GenerateRandom', { NumberOfBytes: 1024 }, PARENT).Plaintext!;
    expect(a).toHaveLength(1024);
    expect(equalBytes(a, b)).toBe(false);
    expect(refusal(() => world.kms.call('GenerateRandom', { NumberOfBytes: 0 }, PARENT)).awsType).toBe('ValidationException');
    expect(refusal(() => world.kms.call('GenerateRandom', { NumberOfBytes: 1025 }, PARENT)).awsType).toBe('ValidationException');
  });
});

describe('determinism', () => {
  it('the same seed gives the same key ids, ciphertexts, state and trace', () => {
    const run = (seed: number) => {
      const world = makeWorld(seed);
      const keyId = createKey(world);
      const blob = world.kms.call('Encrypt', { KeyId: keyId, Plaintext: utf8('x') }, OWNER).CiphertextBlob;
      const dataKey = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, OWNER).Plaintext!;
      return { keyId, blob, dataKey, state: world.kms.stateDigest(), audit: world.kms.audit.head, trace: world.sim.digest() };
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11).keyId).not.toBe(run(12).keyId);
  });
});
