import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.ts';
import { DEFAULT_MAX_DOCUMENT_AGE_MS } from '../../src/kms/service.ts';
import { advanceMs, attestationDoc, attestedPolicy, createKey, makeWorld, OWNER, PARENT, recipient, refusal } from './fixture.ts';

// Mutants kms-nonce-expiry-off-by-one, kms-nonce-prune-off-by-one and kms-nonce-snapshot-off-by-one
// (scripts/mutant-list.ts): a spent nonce forgotten one instant early (by the check, by pruning a full cache, or by
// the state snapshot) reopens a replay at exactly the document's maximum age, which freshness still accepts.
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

  it('a full cache prunes only expired nonces: one at its last fresh instant survives and its replay is refused', () => {
    const world = makeWorld(7, { noncesMax: 2 });
    const keyId = createKey(world, attestedPolicy());
    const blob = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, OWNER).CiphertextBlob;
    const startMs = world.sim.nowMs;
    const use = (doc: Uint8Array) => world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT);
    // 'older' expires 1 ms before 'edge'; at edge's expiry the cache is full with one expired and one live nonce.
    use(attestationDoc(world, { nonce: utf8('older'), timestampMs: startMs - 1 }));
    const edge = attestationDoc(world, { nonce: utf8('edge'), timestampMs: startMs });
    use(edge);
    advanceMs(world.sim, DEFAULT_MAX_DOCUMENT_AGE_MS);
    use(attestationDoc(world, { nonce: utf8('newest') }));
    // Pruning made room by dropping 'older' alone: 'edge' and 'newest' are both still spent.
    expect(world.kms.rememberedNonces).toBe(2);
    expect(refusal(() => use(edge)).code).toBe('KMS_REPLAYED');
    // Control: the pruned nonce's document is past its age, so forgetting it opened nothing.
    expect(refusal(() => use(attestationDoc(world, { nonce: utf8('older'), timestampMs: startMs - 1 }))).code).toBe('KMS_ATTESTATION_STALE');
  });

  it('a KMS restored from a snapshot taken at a nonce\'s last fresh instant still refuses its replay', () => {
    const world = makeWorld();
    const keyId = createKey(world, attestedPolicy());
    const blob = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, OWNER).CiphertextBlob;
    const doc = attestationDoc(world, { nonce: utf8('edge-nonce') });
    world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT);
    advanceMs(world.sim, DEFAULT_MAX_DOCUMENT_AGE_MS);
    const snapshot = world.kms.exportState();
    expect(snapshot.nonces).toHaveLength(1);

    const restarted = makeWorld();
    advanceMs(restarted.sim, world.sim.nowMs - restarted.sim.nowMs);
    expect(restarted.sim.nowMs).toBe(world.sim.nowMs);
    restarted.kms.restoreState(JSON.parse(JSON.stringify(snapshot)));
    expect(refusal(() => restarted.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(doc) }, PARENT)).code).toBe('KMS_REPLAYED');

    // Control: one millisecond later the snapshot leaves the nonce out, as its document is stale by then.
    advanceMs(world.sim, 1);
    expect(world.kms.exportState().nonces).toHaveLength(0);
  });
});
