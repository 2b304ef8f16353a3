import { describe, expect, it } from 'vitest';
import { toBase64, toHex, utf8 } from '../../src/crypto/index.ts';
import { attestationDoc, attestedPolicy, createKey, makeWorld, OUTSIDER, OWNER, PARENT, recipient, refusal } from './fixture.ts';

describe('audit log and trace', () => {
  it('writes an attempt before every outcome, chains the entries and records denials', () => {
    const world = makeWorld();
    const keyId = createKey(world, attestedPolicy());
    const { CiphertextBlob } = world.kms.call('Encrypt', { KeyId: keyId, Plaintext: utf8('x') }, OWNER);
    refusal(() => world.kms.call('Decrypt', { CiphertextBlob }, PARENT));
    world.kms.call('Decrypt', { CiphertextBlob, Recipient: recipient(attestationDoc(world)) }, PARENT);
    world.kms.handleJson('TrentService.Nope', '{}', OUTSIDER);
    world.kms.handleJson('TrentService.Encrypt', '{', OUTSIDER);
    const entries = world.kms.audit.entries;
    expect(entries.map((e) => [e.action, e.outcome])).toEqual([
      ['kms:CreateKey', 'attempt'],
      ['kms:CreateKey', 'ok'],
      ['kms:Encrypt', 'attempt'],
      ['kms:Encrypt', 'ok'],
      ['kms:Decrypt', 'attempt'],
      ['kms:Decrypt', 'denied'],
      ['kms:Decrypt', 'attempt'],
      ['kms:Decrypt', 'ok'],
      ['kms:UnknownOperation', 'attempt'],
      ['kms:UnknownOperation', 'error'],
      ['kms:Encrypt', 'attempt'],
      ['kms:Encrypt', 'error'],
    ]);
    expect(entries[5]).toMatchObject({ actor: PARENT.arn, details: { keyId, code: 'KMS_POLICY_DENIED', awsType: 'AccessDeniedException' } });
    expect(entries[6]!.details).toEqual({ keyId: null, recipient: true });
    expect(world.kms.audit.verify()).toBe(-1);
    // Editing any entry breaks the chain from there on.
    const forged = entries.map((e, i) => (i === 5 ? { ...e, outcome: 'ok' as const } : e));
    expect(world.kms.audit.verify(forged)).toBe(5);
    const trace = world.sim.trace.events.filter((e) => e.kind === 'kms.call');
    expect(trace.map((e) => e.fields['outcome'])).toEqual(['ok', 'ok', 'denied', 'ok', 'error', 'error']);
  });

  it('never puts plaintexts, data keys or private keys in the audit log or the trace', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const secret = utf8('CANARY-plaintext-0123456789');
    const { CiphertextBlob } = world.kms.call('Encrypt', { KeyId: keyId, Plaintext: secret, EncryptionContext: { purpose: 'test' } }, OWNER);
    world.kms.call('Decrypt', { CiphertextBlob, EncryptionContext: { purpose: 'test' } }, OWNER);
    const dataKey = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, OWNER).Plaintext!;
    const pair = world.kms.call('GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P384' }, OWNER).PrivateKeyPlaintext!;
    const random = world.kms.call('GenerateRandom', { NumberOfBytes: 32 }, OWNER).Plaintext!;
    refusal(() => world.kms.call('Decrypt', { CiphertextBlob, EncryptionContext: { purpose: 'other' } }, OWNER));
    const recorded = JSON.stringify([world.kms.audit.entries, world.sim.trace.events, world.kms.releases]);
    // PKCS#8 of a P-384 key ends with: scalar (48) ‖ a1 64 03 62 00 (5) ‖ point (97).
    const scalar = pair.subarray(pair.length - 97 - 5 - 48, pair.length - 97 - 5);
    for (const value of [secret, dataKey, pair, scalar, random]) {
      for (const encoded of [toHex(value), toBase64(value), Buffer.from(value).toString('latin1')]) {
        expect(recorded.includes(encoded)).toBe(false);
      }
    }
    expect(recorded).toContain(keyId);
  });
});
