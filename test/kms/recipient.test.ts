import { describe, expect, it } from 'vitest';
import {
  equalBytes,
  generateRsaKeyPair,
  indexOfBytes,
  openEnvelopedData,
  p384KeyPair,
  parseEnvelopedData,
  sha384,
  utf8,
} from '../../src/crypto/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import {
  advanceMs,
  APPROVED_PCR0,
  APPROVED_PCR0_HEX,
  attestationDoc,
  attestedPolicy,
  buildPki,
  createKey,
  makeWorld,
  OWNER,
  PARENT,
  recipient,
  refusal,
  unconditionalPolicy,
  type TestWorld,
} from './fixture.ts';
import { p384Spki } from './imports.ts';

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Uint8Array.from([tag, ...length, ...content]);
}

/** A well-formed rsaEncryption SPKI with an odd modulus of the given size (not a real key: only its size matters). */
function rsaSpkiWithModulusBytes(size: number): Uint8Array {
  const modulus = new Uint8Array(size + 1).fill(0xa5);
  modulus[0] = 0;
  modulus[1] = 0xc1;
  const rsaPublicKey = tlv(0x30, Uint8Array.from([...tlv(0x02, modulus), 0x02, 0x03, 0x01, 0x00, 0x01]));
  const algorithm = Uint8Array.from([0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]);
  return tlv(0x30, Uint8Array.from([...algorithm, ...tlv(0x03, Uint8Array.from([0, ...rsaPublicKey]))]));
}

/** The owner's key (attested policy) and a data key the owner wrapped under it. */
function ownerSetup(world: TestWorld) {
  const keyId = createKey(world, attestedPolicy());
  const { CiphertextBlob, Plaintext } = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, OWNER);
  return { keyId, blob: CiphertextBlob, dataKey: Plaintext! };
}

/** Asserts a refused call left keys, policies, aliases, nonces and releases as they were. */
function expectUnchanged(world: TestWorld, fn: () => void) {
  const state = world.kms.stateDigest();
  const nonces = world.kms.rememberedNonces;
  const releases = world.kms.releases.length;
  fn();
  expect(world.kms.stateDigest()).toBe(state);
  expect(world.kms.rememberedNonces).toBe(nonces);
  expect(world.kms.releases).toHaveLength(releases);
}

describe('attested release (Recipient)', () => {
  it('Decrypt returns only CiphertextForRecipient, which opens to the data key', () => {
    const world = makeWorld();
    const { keyId, blob, dataKey } = ownerSetup(world);
    const out = world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(attestationDoc(world)) }, PARENT);
    expect(out.Plaintext).toBeUndefined();
    const envelope = parseEnvelopedData(out.CiphertextForRecipient!);
    expect([envelope.version, envelope.recipientVersion, envelope.contentEncryptionAlgorithm]).toEqual([2, 2, 'AES_256_CBC']);
    expect(openEnvelopedData(out.CiphertextForRecipient!, world.enclaveKey)).toEqual(dataKey);
    // The owner's plaintext GenerateDataKey, then the enclave's attested Decrypt.
    expect(world.kms.releases).toEqual([
      { operation: 'GenerateDataKey', keyId, caller: OWNER.arn, via: 'plaintext', timeMs: world.sim.nowMs },
      expect.objectContaining({ operation: 'Decrypt', keyId, caller: PARENT.arn, via: 'recipient', pcr0: APPROVED_PCR0_HEX }),
    ]);
    // Another RSA key cannot open it.
    const stranger = generateRsaKeyPair(new Simulator({ seed: 99 }).prng('stranger'), 2048);
    expect(() => openEnvelopedData(out.CiphertextForRecipient!, stranger)).toThrow();
  });

  it('GenerateDataKey and GenerateDataKeyPair wrap the secret for the enclave', () => {
    const world = makeWorld();
    const { keyId } = ownerSetup(world);
    const gdk = world.kms.call('GenerateDataKey', { KeyId: keyId, NumberOfBytes: 32, Recipient: recipient(attestationDoc(world)) }, PARENT);
    expect(gdk.Plaintext).toBeUndefined();
    const dataKey = openEnvelopedData(gdk.CiphertextForRecipient!, world.enclaveKey);
    // The blob still decrypts (attested) to the same key.
    const again = world.kms.call('Decrypt', { CiphertextBlob: gdk.CiphertextBlob, Recipient: recipient(attestationDoc(world)) }, PARENT);
    expect(openEnvelopedData(again.CiphertextForRecipient!, world.enclaveKey)).toEqual(dataKey);
    const pair = world.kms.call('GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P384', Recipient: recipient(attestationDoc(world)) }, PARENT);
    expect(pair.PrivateKeyPlaintext).toBeUndefined();
    const pkcs8 = openEnvelopedData(pair.CiphertextForRecipient!, world.enclaveKey);
    const unwrapped = world.kms.call('Decrypt', { CiphertextBlob: pair.PrivateKeyCiphertextBlob, Recipient: recipient(attestationDoc(world)) }, PARENT);
    expect(openEnvelopedData(unwrapped.CiphertextForRecipient!, world.enclaveKey)).toEqual(pkcs8);
    expect(indexOfBytes(pkcs8, pair.PublicKey.subarray(-97))).toBeGreaterThan(0);
    expect(world.kms.releases.filter((r) => r.via === 'recipient').map((r) => r.operation)).toEqual(['GenerateDataKey', 'Decrypt', 'GenerateDataKeyPair', 'Decrypt']);
  });

  it('GenerateRandom with a Recipient returns the bytes wrapped, and no release record', () => {
    const world = makeWorld();
    const out = world.kms.call('GenerateRandom', { NumberOfBytes: 48, Recipient: recipient(attestationDoc(world)) }, PARENT);
    expect(out.Plaintext).toBeUndefined();
    expect(openEnvelopedData(out.CiphertextForRecipient!, world.enclaveKey)).toHaveLength(48);
    expect(world.kms.releases).toHaveLength(0);
  });

  it('Encrypt ignores a Recipient, as real KMS does', () => {
    const world = makeWorld();
    const keyId = createKey(world);
    const out = world.kms.call('Encrypt', { KeyId: keyId, Plaintext: utf8('x'), Recipient: recipient(new Uint8Array([1])) } as never, OWNER);
    expect(out.CiphertextBlob).toBeInstanceOf(Uint8Array);
  });

  it('without a Recipient the attested policy refuses the parent, in the real wording', () => {
    const world = makeWorld();
    const { keyId, blob } = ownerSetup(world);
    const error = refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob }, PARENT));
    expect(error.awsType).toBe('AccessDeniedException');
    expect(error.awsMessage).toBe(
      `User: ${PARENT.arn} is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/${keyId} because no resource-based policy allows the kms:Decrypt action`,
    );
  });

  it('negative control: a policy without the attestation condition lets the parent Decrypt in plaintext', () => {
    const world = makeWorld();
    const keyId = createKey(world, unconditionalPolicy());
    const { CiphertextBlob, Plaintext } = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, OWNER);
    const out = world.kms.call('Decrypt', { CiphertextBlob }, PARENT);
    expect(out.Plaintext).toEqual(Plaintext);
    expect(world.kms.releases.at(-1)).toMatchObject({ operation: 'Decrypt', caller: PARENT.arn, via: 'plaintext' });
    expect(world.kms.releases.at(-1)!.pcr0).toBeUndefined();
  });

  it('an explicit Deny on missing attestation beats the account-root allow', () => {
    // The linter rightly flags this policy (the root's kms:* leaves ReEncrypt and other principals open: KP-01), so
    // it is stored with the linter off; what is tested here is evaluation order.
    const world = makeWorld(7, { defences: { policyLint: false } });
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
        { Sid: 'RequireEnclave', Effect: 'Deny', Principal: { AWS: PARENT.arn }, Action: 'kms:Decrypt', Resource: '*', Condition: { Null: { 'kms:RecipientAttestation:ImageSha384': 'true' } } },
      ],
    });
    const keyId = createKey(world, policy);
    const { CiphertextBlob } = world.kms.call('Encrypt', { KeyId: keyId, Plaintext: utf8('x') }, OWNER);
    const denied = refusal(() => world.kms.call('Decrypt', { CiphertextBlob }, PARENT));
    expect(denied.code).toBe('KMS_POLICY_EXPLICIT_DENY');
    expect(denied.awsMessage).toMatch(/with an explicit deny in a resource-based policy$/);
    const out = world.kms.call('Decrypt', { CiphertextBlob, Recipient: recipient(attestationDoc(world)) }, PARENT);
    expect(openEnvelopedData(out.CiphertextForRecipient!, world.enclaveKey)).toEqual(utf8('x'));
  });
});

describe('attested refusals change nothing', () => {
  type Case = [name: string, prepare: (w: TestWorld) => Uint8Array, code: string, awsType: string];
  const cases: Case[] = [
    ['debug-mode document (zero PCR0)', (w) => attestationDoc(w, { debugMode: true }), 'KMS_POLICY_DENIED', 'AccessDeniedException'],
    ['another image', (w) => attestationDoc(w, { pcr0: sha384(utf8('tampered image')) }), 'KMS_POLICY_DENIED', 'AccessDeniedException'],
    ['signed under another root', (w) => attestationDoc(w, { pki: buildPki(new Simulator({ seed: 1234 }), 'rogue') }), 'KMS_ATTESTATION_INVALID', 'AccessDeniedException'],
    [
      'PCR0 byte flipped after signing',
      (w) => {
        const doc = attestationDoc(w, { pcr0: sha384(utf8('tampered image')) }).slice();
        const at = indexOfBytes(doc, sha384(utf8('tampered image')));
        doc.set(APPROVED_PCR0, at);
        return doc;
      },
      'KMS_ATTESTATION_INVALID',
      'AccessDeniedException',
    ],
    [
      'signature byte flipped',
      (w) => {
        const doc = attestationDoc(w).slice();
        doc[doc.length - 1]! ^= 1;
        return doc;
      },
      'KMS_ATTESTATION_INVALID',
      'AccessDeniedException',
    ],
    ['not a document at all', () => utf8('hello'), 'KMS_ATTESTATION_INVALID', 'AccessDeniedException'],
    [
      'leaf certificate expired',
      (w) => {
        advanceMs(w.sim, 3 * 3600_000 + 60_000);
        return attestationDoc(w);
      },
      'KMS_ATTESTATION_INVALID',
      'AccessDeniedException',
    ],
    [
      'document older than the maximum age',
      (w) => {
        const doc = attestationDoc(w);
        advanceMs(w.sim, 5 * 60_000 + 1);
        return doc;
      },
      'KMS_ATTESTATION_STALE',
      'AccessDeniedException',
    ],
    [
      'document from the future beyond the skew',
      (w) => {
        advanceMs(w.sim, 10 * 60_000);
        return attestationDoc(w, { timestampMs: w.sim.nowMs + 61_000 });
      },
      'KMS_ATTESTATION_FROM_FUTURE',
      'AccessDeniedException',
    ],
    ['EC public key instead of RSA', (w) => attestationDoc(w, { publicKey: p384Spki(p384KeyPair(w.sim.prng('ec')).publicKey) }), 'KMS_RECIPIENT_KEY_UNSUPPORTED', 'ValidationException'],
    ['RSA-1024 public key', (w) => attestationDoc(w, { publicKey: rsaSpkiWithModulusBytes(128) }), 'KMS_RECIPIENT_KEY_UNSUPPORTED', 'ValidationException'],
    ['no public key', (w) => attestationDoc(w, { publicKey: null }), 'KMS_RECIPIENT_KEY_UNSUPPORTED', 'ValidationException'],
  ];
  for (const [name, prepare, code, awsType] of cases) {
    it(name, () => {
      const world = makeWorld();
      const { blob, keyId } = ownerSetup(world);
      const document = prepare(world);
      expectUnchanged(world, () => {
        for (const attempt of [
          () => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(document) }, PARENT),
          () => world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient: recipient(document) }, PARENT),
        ]) {
          expect(refusal(attempt)).toMatchObject({ code, awsType });
        }
      });
      const entries = world.kms.audit.entries;
      expect(entries.at(-1)).toMatchObject({ action: 'kms:GenerateDataKey', outcome: awsType === 'AccessDeniedException' ? 'denied' : 'error' });
      expect(entries.at(-1)!.details['code']).toBe(code);
    });
  }

  it('reports the verifier’s own code as the cause', () => {
    const world = makeWorld();
    const { blob } = ownerSetup(world);
    const doc = attestationDoc(world).slice();
    doc[doc.length - 1]! ^= 1;
    const error = refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT));
    expect(error.details?.['cause']).toBe('ATT_BAD_SIGNATURE');
    expect(world.kms.audit.entries.at(-1)!.details['cause']).toBe('ATT_BAD_SIGNATURE');
  });

  it('says why an RSA key other than 2048 bits was refused', () => {
    const world = makeWorld();
    const { blob } = ownerSetup(world);
    const big = attestationDoc(world, { publicKey: rsaSpkiWithModulusBytes(384) });
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(big) }, PARENT)).details?.['bits']).toBe(3072);
    const small = attestationDoc(world, { publicKey: rsaSpkiWithModulusBytes(128) });
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(small) }, PARENT)).details?.['cause']).toBe('RSA_BAD_PUBLIC_KEY');
  });

  it('refuses a wrong KeyEncryptionAlgorithm before looking at the document', () => {
    const world = makeWorld();
    const { blob } = ownerSetup(world);
    const error = refusal(() =>
      world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_1', AttestationDocument: attestationDoc(world) } }, PARENT),
    );
    expect(error).toMatchObject({ code: 'KMS_RECIPIENT_ALGORITHM', awsType: 'ValidationException' });
  });
});

describe('nonces (INV-FRESH)', () => {
  it('a nonce is single-use, and only a successful call spends it', () => {
    const world = makeWorld();
    const { blob, keyId } = ownerSetup(world);
    const doc = attestationDoc(world, { nonce: utf8('nonce-1') });
    // Refused by policy (the parent may not Encrypt… so use a key whose policy denies it): the nonce stays unspent.
    const other = createKey(world, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: OWNER.arn }, Action: 'kms:*', Resource: '*' }] }));
    expect(refusal(() => world.kms.call('GenerateDataKey', { KeyId: other, KeySpec: 'AES_256', Recipient: recipient(doc) }, PARENT)).code).toBe('KMS_POLICY_DENIED');
    expect(world.kms.rememberedNonces).toBe(0);
    world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT);
    expect(world.kms.rememberedNonces).toBe(1);
    expectUnchanged(world, () => {
      expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT))).toMatchObject({
        code: 'KMS_REPLAYED',
        awsType: 'AccessDeniedException',
      });
      // The same nonce in a fresh document is still a replay.
      const second = attestationDoc(world, { nonce: utf8('nonce-1'), timestampMs: world.sim.nowMs });
      expect(refusal(() => world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient: recipient(second) }, PARENT)).code).toBe('KMS_REPLAYED');
    });
    world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(attestationDoc(world, { nonce: utf8('nonce-2') })) }, PARENT);
    expect(world.kms.rememberedNonces).toBe(2);
  });

  it('a document without a nonce may be replayed within the maximum age (real KMS behaviour)', () => {
    const world = makeWorld();
    const { blob } = ownerSetup(world);
    const doc = attestationDoc(world);
    world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT);
    advanceMs(world.sim, 4 * 60_000);
    world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT);
    advanceMs(world.sim, 60_001);
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT)).code).toBe('KMS_ATTESTATION_STALE');
  });

  it('throttles rather than forgets when the nonce cache is full of live nonces', () => {
    const world = makeWorld(7, { noncesMax: 2 });
    const { blob } = ownerSetup(world);
    const use = (n: string) => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(attestationDoc(world, { nonce: utf8(n) })) }, PARENT);
    use('a');
    use('b');
    expect(refusal(() => use('c'))).toMatchObject({ code: 'KMS_NONCE_CACHE_FULL', awsType: 'ThrottlingException' });
    // Once the first two documents are past the maximum age their nonces can be dropped safely.
    advanceMs(world.sim, 5 * 60_000 + 1);
    use('c');
    expect(world.kms.rememberedNonces).toBe(1);
  });
});
