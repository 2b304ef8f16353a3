import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { advanceMs, attestationDoc, attestedPolicy, makeWorld, OWNER, PARENT, recipient, refusal } from './fixture.ts';

const DAY_MS = 86_400_000;

describe('ScheduleKeyDeletion and CancelKeyDeletion', () => {
  it('disables the key at once, refuses its use, and deletes it with its aliases and grants after the window', () => {
    const world = makeWorld();
    const { KeyMetadata: meta } = world.kms.call('CreateKey', {}, OWNER);
    world.kms.call('CreateAlias', { AliasName: 'alias/doomed', TargetKeyId: meta.KeyId }, OWNER);
    world.kms.call('CreateGrant', { KeyId: meta.KeyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'] }, OWNER);
    const blob = world.kms.call('Encrypt', { KeyId: meta.KeyId, Plaintext: utf8('bye') }, OWNER).CiphertextBlob;

    expect(refusal(() => world.kms.call('ScheduleKeyDeletion', { KeyId: meta.KeyId, PendingWindowInDays: 6 }, OWNER)).awsType).toBe('ValidationException');
    const scheduled = world.kms.call('ScheduleKeyDeletion', { KeyId: 'alias/doomed', PendingWindowInDays: 7 }, OWNER);
    expect(scheduled).toEqual({ KeyId: meta.Arn, DeletionDate: (world.sim.nowMs + 7 * DAY_MS) / 1000, KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    const described = world.kms.call('DescribeKey', { KeyId: meta.KeyId }, OWNER).KeyMetadata;
    expect([described.KeyState, described.Enabled, described.DeletionDate]).toEqual(['PendingDeletion', false, scheduled.DeletionDate]);
    expect(refusal(() => world.kms.call('Decrypt', { CiphertextBlob: blob }, OWNER)).awsType).toBe('KMSInvalidStateException');
    expect(refusal(() => world.kms.call('EnableKey', { KeyId: meta.KeyId }, OWNER)).awsType).toBe('KMSInvalidStateException');
    expect(refusal(() => world.kms.call('ScheduleKeyDeletion', { KeyId: meta.KeyId }, OWNER)).awsType).toBe('KMSInvalidStateException');

    advanceMs(world.sim, 7 * DAY_MS - 1);
    expect(world.kms.call('DescribeKey', { KeyId: meta.KeyId }, OWNER).KeyMetadata.KeyState).toBe('PendingDeletion');
    advanceMs(world.sim, 1);
    expect(refusal(() => world.kms.call('DescribeKey', { KeyId: meta.KeyId }, OWNER)).awsType).toBe('NotFoundException');
    expect(world.kms.call('ListAliases', {}, OWNER).Aliases).toEqual([]);
    expect(world.kms.grantCount).toBe(0);
    expect(world.kms.audit.entries.some((e) => e.action === 'kms:DeleteKey' && e.outcome === 'ok')).toBe(true);
  });

  it('cancelling leaves the key disabled until EnableKey', () => {
    const world = makeWorld();
    const { KeyMetadata: meta } = world.kms.call('CreateKey', {}, OWNER);
    expect(refusal(() => world.kms.call('CancelKeyDeletion', { KeyId: meta.KeyId }, OWNER)).awsType).toBe('KMSInvalidStateException');
    world.kms.call('ScheduleKeyDeletion', { KeyId: meta.KeyId }, OWNER);
    expect(world.kms.call('CancelKeyDeletion', { KeyId: meta.KeyId }, OWNER)).toEqual({ KeyId: meta.Arn });
    expect(world.kms.call('DescribeKey', { KeyId: meta.KeyId }, OWNER).KeyMetadata.KeyState).toBe('Disabled');
    expect(refusal(() => world.kms.call('Encrypt', { KeyId: meta.KeyId, Plaintext: utf8('x') }, OWNER)).awsType).toBe('DisabledException');
    world.kms.call('EnableKey', { KeyId: meta.KeyId }, OWNER);
    advanceMs(world.sim, 31 * DAY_MS);
    expect(world.kms.call('Encrypt', { KeyId: meta.KeyId, Plaintext: utf8('x') }, OWNER).KeyId).toBe(meta.Arn);
  });

  it('is reachable over the JSON protocol, and an outsider is denied', () => {
    const world = makeWorld();
    const { KeyMetadata: meta } = world.kms.call('CreateKey', {}, OWNER);
    const outsider = world.kms.handleJson('TrentService.ScheduleKeyDeletion', JSON.stringify({ KeyId: meta.KeyId }), { arn: 'arn:aws:iam::444455556666:role/x' });
    expect(JSON.parse(outsider.body).__type).toBe('AccessDeniedException');
    const reply = world.kms.handleJson('TrentService.ScheduleKeyDeletion', JSON.stringify({ KeyId: meta.KeyId }), OWNER);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).PendingWindowInDays).toBe(30);
  });
});

describe('state snapshots', () => {
  function populated() {
    const world = makeWorld();
    const { KeyMetadata: meta } = world.kms.call('CreateKey', { Description: 'model key' }, OWNER);
    const agreement = world.kms.call('CreateKey', { KeyUsage: 'KEY_AGREEMENT', KeySpec: 'ECC_NIST_P384' }, OWNER).KeyMetadata;
    world.kms.call('CreateAlias', { AliasName: 'alias/model', TargetKeyId: meta.KeyId }, OWNER);
    world.kms.call('CreateGrant', { KeyId: meta.KeyId, GranteePrincipal: PARENT.arn, Operations: ['Decrypt'], Constraints: { EncryptionContextEquals: { a: 'b' } } }, OWNER);
    const blob = world.kms.call('Encrypt', { KeyId: 'alias/model', Plaintext: utf8('persist me'), EncryptionContext: { a: 'b' } }, OWNER).CiphertextBlob;
    world.kms.call('ScheduleKeyDeletion', { KeyId: agreement.KeyId }, OWNER);
    return { world, meta, blob };
  }

  it('restores keys, material, aliases, policies and grants into a fresh service', () => {
    const { world, meta, blob } = populated();
    const snapshot = JSON.parse(JSON.stringify(world.kms.exportState())) as unknown;
    const fresh = makeWorld(99);
    const before = fresh.kms.stateVersion;
    fresh.kms.restoreState(snapshot);
    expect(fresh.kms.stateVersion).not.toBe(before);
    expect(fresh.kms.stateDigest()).toBe(world.kms.stateDigest());
    // The grant, not the policy, lets the parent decrypt; the context constraint still holds.
    expect(fresh.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { a: 'b' } }, PARENT).Plaintext).toEqual(utf8('persist me'));
    expect(refusal(() => fresh.kms.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { a: 'c' } }, PARENT)).code).toBe('KMS_INVALID_CIPHERTEXT');
    expect(fresh.kms.call('DescribeKey', { KeyId: 'alias/model' }, OWNER).KeyMetadata.KeyId).toBe(meta.KeyId);
    expect(refusal(() => fresh.kms.restoreState(snapshot)).code).toBe('KMS_STATE_NOT_EMPTY');
  });

  it('refuses a snapshot with any bad field and stays empty', () => {
    const { world } = populated();
    const good = JSON.stringify(world.kms.exportState());
    const mutations: ((s: Record<string, any>) => void)[] = [
      (s) => (s['version'] = 2),
      (s) => (s['keys'][0].material = s['keys'][0].material.slice(4)),
      (s) => (s['keys'][0].extra = 1),
      (s) => (s['keys'][0].policyText = '{"Statement": 5}'),
      (s) => (s['aliases'][0][1] = '00000000-0000-4000-8000-000000000000'),
      (s) => (s['grants'][0].operations = ['Everything']),
      (s) => s['keys'].push(s['keys'][0]),
      (s) => (s['nonces'] = [['not hex', 5]]),
    ];
    for (const mutate of mutations) {
      const snapshot = JSON.parse(good) as Record<string, any>;
      mutate(snapshot);
      const fresh = makeWorld(98);
      let code: string | undefined;
      try {
        fresh.kms.restoreState(snapshot);
      } catch (error) {
        if (isEmuError(error)) code = error.code;
        else throw error;
      }
      expect(code).toBe('KMS_STATE_INVALID');
      expect(fresh.kms.call('ListKeys', {}, OWNER).Keys).toEqual([]);
    }
  });

  it('carries spent attestation nonces, so a restart does not reopen a replay window', () => {
    const world = makeWorld();
    const keyId = world.kms.call('CreateKey', { Policy: attestedPolicy() }, OWNER).KeyMetadata.KeyId;
    const blob = world.kms.call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, OWNER).CiphertextBlob;
    const document = attestationDoc(world, { nonce: utf8('one-time nonce') });
    world.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(document) }, PARENT);
    const snapshot = JSON.parse(JSON.stringify(world.kms.exportState())) as { nonces: unknown[] };
    expect(snapshot.nonces).toHaveLength(1);
    const fresh = makeWorld();
    fresh.kms.restoreState(snapshot);
    expect(refusal(() => fresh.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(document) }, PARENT)).code).toBe('KMS_REPLAYED');
    // Without the nonces, the same restart would have accepted the replay: the check above is not vacuous.
    const forgetful = makeWorld();
    forgetful.kms.restoreState({ ...snapshot, nonces: [] });
    expect(forgetful.kms.call('Decrypt', { CiphertextBlob: blob, Recipient: recipient(document) }, PARENT).CiphertextForRecipient).toBeDefined();
  });
});

describe('deletion after a restore or a cancel', () => {
  it('a key restored pending deletion is still deleted when its window ends; a cancelled one is not', () => {
    const world = makeWorld();
    const doomed = world.kms.call('CreateKey', {}, OWNER).KeyMetadata;
    const spared = world.kms.call('CreateKey', {}, OWNER).KeyMetadata;
    world.kms.call('ScheduleKeyDeletion', { KeyId: doomed.KeyId, PendingWindowInDays: 7 }, OWNER);
    world.kms.call('ScheduleKeyDeletion', { KeyId: spared.KeyId, PendingWindowInDays: 7 }, OWNER);
    world.kms.call('CancelKeyDeletion', { KeyId: spared.KeyId }, OWNER);
    const fresh = makeWorld(99);
    fresh.kms.restoreState(JSON.parse(JSON.stringify(world.kms.exportState())) as unknown);
    advanceMs(fresh.sim, 7 * DAY_MS);
    expect(refusal(() => fresh.kms.call('DescribeKey', { KeyId: doomed.KeyId }, OWNER)).awsType).toBe('NotFoundException');
    expect(fresh.kms.call('DescribeKey', { KeyId: spared.KeyId }, OWNER).KeyMetadata.KeyState).toBe('Disabled');
    advanceMs(world.sim, 7 * DAY_MS);
    expect(refusal(() => world.kms.call('DescribeKey', { KeyId: doomed.KeyId }, OWNER)).awsType).toBe('NotFoundException');
    expect(world.kms.call('DescribeKey', { KeyId: spared.KeyId }, OWNER).KeyMetadata.KeyState).toBe('Disabled');
  });
});
