import { describe, expect, it } from 'vitest';
import { openEnvelopedData, parseCertificate, RevocationList, utf8 } from '../../src/crypto/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { ALL_KMS_DEFENCES, type KmsDefences } from '../../src/kms/index.ts';
import { advanceMs, attestationDoc, attestedPolicy, buildPki, createKey, makeWorld, OWNER, PARENT, recipient, refusal, type TestWorld } from './fixture.ts';

function ownerSetup(world: TestWorld) {
  const keyId = createKey(world, attestedPolicy());
  const { CiphertextBlob, Plaintext } = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, OWNER);
  return { keyId, blob: CiphertextBlob, dataKey: Plaintext! };
}

function worldWith(off: keyof KmsDefences, extra: Parameters<typeof makeWorld>[1] = {}): TestWorld {
  return makeWorld(7, { ...extra, defences: { [off]: false } });
}

describe('KMS defence switches: each on refuses, each off lets the attack through', () => {
  it('defaults to all on, and ignores switches that are not the KMS\'s', () => {
    const world = makeWorld(7, { defences: { scrubOnRelease: false } as Partial<KmsDefences> });
    expect(world.kms.defences).toEqual(ALL_KMS_DEFENCES);
  });

  it('kmsPinnedRoot: a document chained to the forger\'s own root (in cabundle[0])', () => {
    const forge = (world: TestWorld) => attestationDoc(world, { pki: buildPki(new Simulator({ seed: 666 }), 'forger') });
    const on = makeWorld();
    const { blob } = ownerSetup(on);
    const refused = refusal(() => on.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(forge(on)) }, PARENT));
    expect(refused).toMatchObject({ code: 'KMS_ATTESTATION_INVALID', details: { cause: 'ATT_ROOT_MISMATCH' } });

    const off = worldWith('kmsPinnedRoot');
    const control = ownerSetup(off);
    const out = off.kms.call('Decrypt', { CiphertextBlob: control.blob, Recipient: recipient(forge(off)) }, PARENT);
    expect(openEnvelopedData(out.CiphertextForRecipient!, off.enclaveKey)).toEqual(control.dataKey);
    // A forged document still has to verify against the root it names: a broken signature is refused even so.
    const damaged = forge(off);
    damaged[damaged.length - 1]! ^= 1;
    expect(refusal(() => off.kms.call('Decrypt', { CiphertextBlob: control.blob, Recipient: recipient(damaged) }, PARENT)).code).toBe(
      'KMS_ATTESTATION_INVALID',
    );
  });

  it('kmsRecipientEncryption: with a Recipient the secret still comes back in the clear', () => {
    const on = makeWorld();
    const defended = ownerSetup(on);
    const wrapped = on.kms.call('Decrypt', { CiphertextBlob: defended.blob, Recipient: recipient(attestationDoc(on)) }, PARENT);
    expect(wrapped.Plaintext).toBeUndefined();
    expect(wrapped.CiphertextForRecipient).toBeDefined();

    const off = worldWith('kmsRecipientEncryption');
    const control = ownerSetup(off);
    const clear = off.kms.call('Decrypt', { CiphertextBlob: control.blob, Recipient: recipient(attestationDoc(off)) }, PARENT);
    expect(clear.Plaintext).toEqual(control.dataKey);
    expect(clear.CiphertextForRecipient).toBeUndefined();
    // The release record says what happened: plaintext to the parent, not a recipient release.
    expect(off.kms.releases.at(-1)).toMatchObject({ operation: 'Decrypt', caller: PARENT.arn, via: 'plaintext' });
  });

  it('kmsNonceSingleUse: the same nonce twice', () => {
    const nonce = utf8('nonce-0123456789');
    const on = makeWorld();
    const defended = ownerSetup(on);
    const doc = attestationDoc(on, { nonce });
    on.kms.call('Decrypt', { CiphertextBlob: defended.blob, Recipient: recipient(doc) }, PARENT);
    expect(refusal(() => on.kms.call('Decrypt', { CiphertextBlob: defended.blob, Recipient: recipient(doc) }, PARENT)).code).toBe('KMS_REPLAYED');

    const off = worldWith('kmsNonceSingleUse');
    const control = ownerSetup(off);
    const replayed = attestationDoc(off, { nonce });
    off.kms.call('Decrypt', { CiphertextBlob: control.blob, Recipient: recipient(replayed) }, PARENT);
    const again = off.kms.call('Decrypt', { CiphertextBlob: control.blob, Recipient: recipient(replayed) }, PARENT);
    expect(openEnvelopedData(again.CiphertextForRecipient!, off.enclaveKey)).toEqual(control.dataKey);
    expect(off.kms.rememberedNonces).toBe(0);
  });

  it('kmsDocumentFreshness: a document ten minutes old', () => {
    const on = makeWorld();
    const defended = ownerSetup(on);
    const old = attestationDoc(on);
    advanceMs(on.sim, 10 * 60_000);
    expect(refusal(() => on.kms.call('Decrypt', { CiphertextBlob: defended.blob, Recipient: recipient(old) }, PARENT)).code).toBe(
      'KMS_ATTESTATION_STALE',
    );

    const off = worldWith('kmsDocumentFreshness');
    const control = ownerSetup(off);
    const stale = attestationDoc(off);
    advanceMs(off.sim, 10 * 60_000);
    const out = off.kms.call('Decrypt', { CiphertextBlob: control.blob, Recipient: recipient(stale) }, PARENT);
    expect(openEnvelopedData(out.CiphertextForRecipient!, off.enclaveKey)).toEqual(control.dataKey);
    // Dated in the future is still refused: the switch is about age only.
    const ahead = attestationDoc(off, { timestampMs: off.sim.nowMs + 10 * 60_000 });
    expect(refusal(() => off.kms.call('Decrypt', { CiphertextBlob: control.blob, Recipient: recipient(ahead) }, PARENT)).code).toBe(
      'KMS_ATTESTATION_FROM_FUTURE',
    );
  });

  it('policyLint: a policy naming the zero PCR, and one with a misspelt condition key', () => {
    const zero = attestedPolicy('0'.repeat(96));
    const typo = attestedPolicy().replace('kms:RecipientAttestation:ImageSha384', 'kms:RecipientAttestation:ImageSha348');
    const on = makeWorld();
    const state = on.kms.stateDigest();
    const refusedZero = refusal(() => createKey(on, zero));
    expect(refusedZero).toMatchObject({ code: 'KMS_POLICY_LINT', awsType: 'MalformedPolicyDocumentException' });
    expect(refusedZero.details?.['codes']).toEqual(['KP_ZERO_PCR']);
    const refusedTypo = refusal(() => createKey(on, typo));
    expect(refusedTypo.details?.['codes']).toEqual(['KP_UNKNOWN_CONDITION_KEY']);
    expect(refusedTypo.awsMessage).toContain('kms:RecipientAttestation:ImageSha384');
    expect(on.kms.stateDigest()).toBe(state);
    // PutKeyPolicy is gated the same way, and the key keeps its policy.
    const keyId = createKey(on, attestedPolicy());
    expect(refusal(() => on.kms.call('PutKeyPolicy', { KeyId: keyId, Policy: zero }, OWNER)).code).toBe('KMS_POLICY_LINT');
    expect(on.kms.call('GetKeyPolicy', { KeyId: keyId }, OWNER).Policy).toBe(attestedPolicy());

    const off = worldWith('policyLint');
    const zeroKey = createKey(off, zero);
    expect(off.kms.call('GetKeyPolicy', { KeyId: zeroKey }, OWNER).Policy).toBe(zero);
    // With the typo stored, the Allow can never match (the key is never present): the policy quietly changed meaning.
    const typoKey = createKey(off, typo);
    const { CiphertextBlob } = off.kms.call('GenerateDataKey', { KeyId: typoKey, KeySpec: 'AES_256' }, OWNER);
    expect(refusal(() => off.kms.call('Decrypt', { CiphertextBlob, Recipient: recipient(attestationDoc(off)) }, PARENT)).code).toBe(
      'KMS_POLICY_DENIED',
    );
  });

  it('revocationChecked: a document whose leaf the platform revoked', () => {
    const revoked = (world: TestWorld) => {
      const list = new RevocationList();
      list.revokeFingerprint(parseCertificate(world.pki.leaf.der).fingerprintSha256, 'platform key compromise', world.sim.nowMs);
      return list;
    };
    const probe = makeWorld();
    const on = makeWorld(7, { revocation: revoked(probe) });
    const defended = ownerSetup(on);
    const refused = refusal(() => on.kms.call('Decrypt', { CiphertextBlob: defended.blob, Recipient: recipient(attestationDoc(on)) }, PARENT));
    expect(refused).toMatchObject({ code: 'KMS_ATTESTATION_INVALID', details: { cause: 'CHAIN_REVOKED' } });
    expect(on.kms.releases.filter((r) => r.caller === PARENT.arn)).toHaveLength(0);

    const off = makeWorld(7, { revocation: revoked(probe), defences: { revocationChecked: false } });
    const control = ownerSetup(off);
    const out = off.kms.call('Decrypt', { CiphertextBlob: control.blob, Recipient: recipient(attestationDoc(off)) }, PARENT);
    expect(openEnvelopedData(out.CiphertextForRecipient!, off.enclaveKey)).toEqual(control.dataKey);
  });
});
