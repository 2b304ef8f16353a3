// A KMS state snapshot is validated whole before anything is restored: each defect is KMS_STATE_INVALID naming the
// field, and the service it was offered to stays empty.
import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import { makeWorld, OWNER, PARENT } from './fixture.ts';

type Snapshot = Record<string, any>;

function populatedSnapshot(): string {
  const world = makeWorld();
  const { KeyMetadata: meta } = world.kms.call('CreateKey', { Description: 'model key' }, OWNER);
  world.kms.call('CreateKey', { KeyUsage: 'KEY_AGREEMENT', KeySpec: 'ECC_NIST_P384' }, OWNER);
  world.kms.call('CreateAlias', { AliasName: 'alias/model', TargetKeyId: meta.KeyId }, OWNER);
  world.kms.call('CreateGrant', {
    KeyId: meta.KeyId,
    GranteePrincipal: PARENT.arn,
    Operations: ['Decrypt'],
    Constraints: { EncryptionContextEquals: { a: 'b' } },
  }, OWNER);
  return JSON.stringify(world.kms.exportState());
}

const good = populatedSnapshot();
const symmetric = (s: Snapshot) => s['keys'].find((k: Snapshot) => k['keySpec'] === 'SYMMETRIC_DEFAULT') as Snapshot;
const agreement = (s: Snapshot) => s['keys'].find((k: Snapshot) => k['keySpec'] === 'ECC_NIST_P384') as Snapshot;

/** `mutate` edits the parsed snapshot in place; its return value is ignored. */
function restoreRefusal(mutate: (s: Snapshot) => unknown): string {
  const snapshot = JSON.parse(good) as Snapshot;
  mutate(snapshot);
  return refusalFor(snapshot);
}

function refusalFor(snapshot: unknown): string {
  const fresh = makeWorld(97);
  let message: string | undefined;
  try {
    fresh.kms.restoreState(snapshot);
  } catch (error) {
    if (!isEmuError(error, 'KMS_STATE_INVALID')) throw error;
    message = error.message;
  }
  expect(fresh.kms.call('ListKeys', {}, OWNER).Keys).toEqual([]);
  if (message === undefined) throw new Error('the snapshot was restored');
  return message;
}

describe('KMS state snapshot validation', () => {
  it('the unmodified snapshot restores (so each refusal below is caused by its one change)', () => {
    const fresh = makeWorld(97);
    fresh.kms.restoreState(JSON.parse(good));
    expect(fresh.kms.call('ListKeys', {}, OWNER).Keys).toHaveLength(2);
  });

  it('refuses a snapshot that is not an object or whose lists are not lists', () => {
    expect(refusalFor([])).toMatch(/state is not an object/);
    expect(refusalFor(null)).toMatch(/state is not an object/);
    expect(restoreRefusal((s) => (s['keys'] = {}))).toMatch(/keys is not a list/);
  });

  it('refuses key entries with a bad id, spec, flag, text, time, material or a point on a symmetric key', () => {
    expect(restoreRefusal((s) => (symmetric(s)['id'] = 'not-a-key-id'))).toMatch(/\.id is not a key id/);
    expect(restoreRefusal((s) => (symmetric(s)['keySpec'] = 'RSA_2048'))).toMatch(/unknown key spec/);
    expect(restoreRefusal((s) => (agreement(s)['keyUsage'] = 'ENCRYPT_DECRYPT'))).toMatch(/unknown key spec/);
    expect(restoreRefusal((s) => (symmetric(s)['enabled'] = 'yes'))).toMatch(/enabled is not a boolean/);
    expect(restoreRefusal((s) => (symmetric(s)['publicPoint'] = agreement(s)['publicPoint']))).toMatch(/publicPoint on a symmetric key/);
    expect(restoreRefusal((s) => (symmetric(s)['description'] = 5))).toMatch(/description is not a string/);
    expect(restoreRefusal((s) => (symmetric(s)['creationMs'] = -1))).toMatch(/creationMs is not a time in ms/);
    expect(restoreRefusal((s) => (symmetric(s)['deletionMs'] = 1.5))).toMatch(/deletionMs is not a time in ms/);
    expect(restoreRefusal((s) => (symmetric(s)['material'] = '!!!!'))).toMatch(/material is not base64/);
  });

  it('refuses grants for unknown keys, with bad constraints, repeated ids or from another account', () => {
    expect(restoreRefusal((s) => (s['grants'][0]['keyId'] = '00000000-0000-4000-8000-000000000000'))).toMatch(/names a key the state does not hold/);
    expect(restoreRefusal((s) => (s['grants'][0]['constraints'] = []))).toMatch(/constraints is not an object/);
    expect(restoreRefusal((s) => (s['grants'][0]['constraints'] = { Other: {} }))).toMatch(/constraints has unknown fields/);
    expect(restoreRefusal((s) => (s['grants'][0]['constraints'] = { EncryptionContextEquals: 5 }))).toMatch(/EncryptionContextEquals is not a map$/);
    expect(restoreRefusal((s) => (s['grants'][0]['constraints'] = { EncryptionContextEquals: { a: 1 } }))).toMatch(/not a map of strings/);
    expect(restoreRefusal((s) => (s['grants'][0]['name'] = 5))).toMatch(/grants\[0\]\.name is not a string/);
    expect(restoreRefusal((s) => s['grants'].push(s['grants'][0]))).toMatch(/a grant id appears twice/);
    expect(restoreRefusal((s) => (s['grants'][0]['issuingAccount'] = 'arn:aws:iam::999999999999:root'))).toMatch(/issued by another account/);
  });

  it('refuses repeated aliases and repeated spent nonces', () => {
    expect(restoreRefusal((s) => s['aliases'].push(s['aliases'][0]))).toMatch(/an alias appears twice/);
    expect(restoreRefusal((s) => (s['nonces'] = [['ab', 1], ['ab', 2]]))).toMatch(/spent nonces do not fit or repeat/);
  });
});
