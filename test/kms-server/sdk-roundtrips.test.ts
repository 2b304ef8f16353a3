import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  GetKeyPolicyCommand,
  GetPublicKeyCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RetireGrantCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { p384KeyPair, p384SharedSecret, p384Spki, utf8 } from '../../src/crypto/index.ts';
import type { RunningKmsServer } from '../../src/kms-server/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { ADMIN, client, OUTSIDER, PARENT, sdkError, serve } from './helpers.ts';

let server: RunningKmsServer;
beforeAll(async () => {
  server = await serve();
});
afterAll(async () => {
  await server.close();
});

describe('the unmodified AWS SDK against nitro-emu kms serve', () => {
  it('CreateKey, DescribeKey, ListKeys, CreateAlias, ListAliases, Put/GetKeyPolicy', async () => {
    const kms = client(server);
    const created = await kms.send(new CreateKeyCommand({ Description: 'sdk round trip' }));
    const keyId = created.KeyMetadata!.KeyId!;
    expect(created.KeyMetadata).toMatchObject({ KeyState: 'Enabled', Enabled: true, Description: 'sdk round trip', KeySpec: 'SYMMETRIC_DEFAULT' });
    expect(created.KeyMetadata!.CreationDate).toBeInstanceOf(Date);
    expect(created.$metadata.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);

    const described = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(described.KeyMetadata!.Arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    const listed = await kms.send(new ListKeysCommand({}));
    expect(listed.Keys!.map((k) => k.KeyId)).toContain(keyId);

    await kms.send(new CreateAliasCommand({ AliasName: 'alias/sdk-roundtrip', TargetKeyId: keyId }));
    const aliases = await kms.send(new ListAliasesCommand({ KeyId: keyId }));
    expect(aliases.Aliases).toEqual([{ AliasName: 'alias/sdk-roundtrip', AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/sdk-roundtrip', TargetKeyId: keyId }]);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/sdk-roundtrip' }))).KeyMetadata!.KeyId).toBe(keyId);

    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: ADMIN.arn }, Action: 'kms:*', Resource: '*' },
        { Sid: 'ParentEncrypts', Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: 'kms:Encrypt', Resource: '*' },
      ],
    });
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: policy, PolicyName: 'default' }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy).toBe(policy);
    // The new policy is in force: the parent may encrypt but no longer decrypt.
    const parent = client(server, PARENT);
    const blob = (await parent.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('p') }))).CiphertextBlob!;
    expect((await sdkError(parent.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe('AccessDeniedException');
  });

  it('Encrypt/Decrypt with a context, ReEncrypt, and the errors the SDK names', async () => {
    const kms = client(server);
    const a = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const b = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const context = { purpose: 'test' };
    const encrypted = await kms.send(new EncryptCommand({ KeyId: a, Plaintext: utf8('secret words'), EncryptionContext: context }));
    expect(encrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }));
    expect(decrypted.Plaintext).toEqual(utf8('secret words'));
    expect(decrypted.KeyId).toBe(encrypted.KeyId);

    const flipped = Uint8Array.from(encrypted.CiphertextBlob!);
    flipped[flipped.length - 1]! ^= 1;
    expect((await sdkError(kms.send(new DecryptCommand({ CiphertextBlob: flipped, EncryptionContext: context })))).name).toBe('InvalidCiphertextException');
    expect((await sdkError(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })))).name).toBe('InvalidCiphertextException');
    const outsider = await sdkError(client(server, OUTSIDER).send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context })));
    expect(outsider.name).toBe('AccessDeniedException');
    expect(outsider.$metadata?.httpStatusCode).toBe(400);
    expect((await sdkError(kms.send(new DescribeKeyCommand({ KeyId: 'alias/none' })))).name).toBe('NotFoundException');

    const moved = await kms.send(
      new ReEncryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, SourceEncryptionContext: context, DestinationKeyId: b }),
    );
    expect(moved.SourceKeyId).toBe(encrypted.KeyId);
    expect(moved.KeyId).toContain(b);
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob }))).Plaintext).toEqual(utf8('secret words'));
  });

  it('GenerateDataKey (+WithoutPlaintext), GenerateDataKeyPair, GenerateRandom', async () => {
    const kms = client(server);
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    expect(dataKey.Plaintext).toHaveLength(32);
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }))).Plaintext).toEqual(dataKey.Plaintext);
    const sealedOnly = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 24 }));
    expect(sealedOnly).not.toHaveProperty('Plaintext');
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: sealedOnly.CiphertextBlob }))).Plaintext).toHaveLength(24);

    const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P384' }));
    expect(pair.KeyPairSpec).toBe('ECC_NIST_P384');
    expect(pair.PublicKey!.length).toBeGreaterThan(100);
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob }))).Plaintext).toEqual(pair.PrivateKeyPlaintext);

    const random = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 64 }));
    expect(random.Plaintext).toHaveLength(64);
    expect((await kms.send(new GenerateRandomCommand({ NumberOfBytes: 64 }))).Plaintext).not.toEqual(random.Plaintext);
    expect((await sdkError(kms.send(new GenerateRandomCommand({ NumberOfBytes: 2048 })))).name).toBe('ValidationException');
  });

  it('Enable/DisableKey and ScheduleKeyDeletion/CancelKeyDeletion', async () => {
    const kms = client(server);
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    expect((await sdkError(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })))).name).toBe('DisabledException');
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }));

    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(scheduled.KeyState).toBe('PendingDeletion');
    expect(scheduled.PendingWindowInDays).toBe(7);
    const days = (scheduled.DeletionDate!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.DeletionDate).toEqual(scheduled.DeletionDate);
    expect((await sdkError(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })))).name).toBe('KMSInvalidStateException');
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe('Disabled');
  });

  it('CreateGrant, ListGrants, RetireGrant: the grant lets the outsider decrypt until it is retired', async () => {
    const kms = client(server);
    const outsider = client(server, OUTSIDER);
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('granted') }))).CiphertextBlob!;
    expect((await sdkError(outsider.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe('AccessDeniedException');
    const grant = await kms.send(
      new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: OUTSIDER.arn, Operations: ['Decrypt', 'RetireGrant'], Name: 'outsider-decrypt' }),
    );
    const listed = await kms.send(new ListGrantsCommand({ KeyId: keyId }));
    expect(listed.Grants!.map((g) => [g.GrantId, g.Name, g.GranteePrincipal])).toEqual([[grant.GrantId, 'outsider-decrypt', OUTSIDER.arn]]);
    expect(listed.Grants![0]!.CreationDate).toBeInstanceOf(Date);
    expect((await outsider.send(new DecryptCommand({ CiphertextBlob: blob, GrantTokens: [grant.GrantToken!] }))).Plaintext).toEqual(utf8('granted'));
    await outsider.send(new RetireGrantCommand({ GrantToken: grant.GrantToken }));
    expect((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants).toEqual([]);
    expect((await sdkError(outsider.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe('AccessDeniedException');
  });

  it('DeriveSharedSecret on a KEY_AGREEMENT key matches ECDH with the key’s public half', async () => {
    const kms = client(server);
    const keyId = (await kms.send(new CreateKeyCommand({ KeyUsage: 'KEY_AGREEMENT', KeySpec: 'ECC_NIST_P384' }))).KeyMetadata!.KeyId!;
    const publicKey = (await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey!;
    const peer = p384KeyPair(new Simulator({ seed: 11 }).prng('peer'));
    const derived = await kms.send(
      new DeriveSharedSecretCommand({ KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: p384Spki(peer.publicKey) }),
    );
    expect(derived.SharedSecret).toEqual(p384SharedSecret(peer.privateKey, publicKey.subarray(-97)));
    expect(derived.KeyOrigin).toBe('AWS_KMS');
  });
});
