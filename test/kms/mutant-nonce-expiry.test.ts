import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.ts';
import { DEFAULT_MAX_DOCUMENT_AGE_MS } from '../../src/kms/service.ts';
import { advanceMs, attestationDoc, attestedPolicy, createKey, makeWorld, OWNER, PARENT, recipient, refusal } from './fixture.ts';

// Mutant kms-nonce-expiry-off-by-one (scripts/mutant-list.ts): a spent nonce forgotten one instant early reopens a
// replay at exactly the document's maximum age, which the freshness check still accepts (its bound is inclusive).
describe('spent attestation nonce at the edge of the freshness window', () => {
  it('refuses a replay at exactly the maximum document age, and the document itself is still fresh then', () => {
    const world = makeWorld();
    const keyId = createKey(world, attestedPolicy());
    const blob = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, OWNER).CiphertextBlob;
    const issuedMs = world.sim.nowMs;
    const doc = attestationDoc(world, { nonce: utf8('edge-nonce') });
    world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT);
    expect(world.kms.rememberedNonces).toBe(1);

    advanceMs(world.sim, DEFAULT_MAX_DOCUMENT_AGE_MS);
    expect(world.sim.nowMs - issuedMs).toBe(DEFAULT_MAX_DOCUMENT_AGE_MS);
    const state = world.kms.stateDigest();
    const releases = world.kms.releases.length;
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT))).toMatchObject({
      code: 'KMS_REPLAYED',
      awsType: 'AccessDeniedException',
    });
    expect(world.kms.stateDigest()).toBe(state);
    expect(world.kms.releases).toHaveLength(releases);

    // Control: a document of the very same age with an unspent nonce is accepted, so the refusal above is the nonce's.
    const sibling = attestationDoc(world, { nonce: utf8('other-nonce'), timestampMs: issuedMs });
    const released = world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(sibling) }, PARENT);
    expect(released.CiphertextForRecipient).toBeInstanceOf(Uint8Array);

    // One millisecond later the document is stale, so forgetting its nonce from then on opens nothing.
    advanceMs(world.sim, 1);
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT)).code).toBe('KMS_ATTESTATION_STALE');
  });
});
