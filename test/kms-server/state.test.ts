import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { decodeStateFile, encodeStateFile, startKmsServer } from '../../src/kms-server/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { ADMIN, client, OUTSIDER, serve } from './helpers.ts';

async function refusalCode(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (isEmuError(error)) return error.code;
    throw error;
  }
  throw new Error('expected the server to refuse');
}

const policy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Admin', Effect: 'Allow', Principal: { AWS: ADMIN.arn }, Action: 'kms:*', Resource: '*' }],
});

describe('kms serve --state FILE', () => {
  it('keeps keys, aliases, policies and grants across a restart, with fresh random streams per start', async () => {
    const statePath = join(tempDir('nitro-emu-kms-state-'), 'kms.state');
    const first = await serve({ statePath });
    expect(first.boots).toBe(1);
    const kms = client(first);
    const keyId = (await kms.send(new CreateKeyCommand({ Description: 'persisted' }))).KeyMetadata!.KeyId!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/persisted', TargetKeyId: keyId }));
    await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: policy }));
    await kms.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: OUTSIDER.arn, Operations: ['Decrypt'] }));
    const blob = (await kms.send(new EncryptCommand({ KeyId: 'alias/persisted', Plaintext: utf8('survives') }))).CiphertextBlob!;
    await first.close();
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    expect(existsSync(`${statePath}.tmp`)).toBe(false);

    const second = await serve({ statePath });
    expect(second.boots).toBe(2);
    const again = client(second);
    expect((await again.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext).toEqual(utf8('survives'));
    expect((await again.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy).toBe(policy);
    expect((await again.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName)).toEqual(['alias/persisted']);
    expect((await again.send(new ListGrantsCommand({ KeyId: keyId }))).Grants!.map((g) => g.GranteePrincipal)).toEqual([OUTSIDER.arn]);
    expect((await client(second, OUTSIDER).send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext).toEqual(utf8('survives'));
    // Same seed, second start: the id stream is not the first start's, so no key id (and no IV) repeats.
    const newKey = (await again.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    expect(newKey).not.toBe(keyId);
    expect((await again.send(new ListKeysCommand({}))).Keys).toHaveLength(2);
    await second.close();
    expect(decodeStateFile(new Uint8Array(readFileSync(statePath)), statePath).kms.keys).toHaveLength(2);
  });

  it('refuses a corrupted, truncated, foreign or invalid state file and leaves it byte for byte', async () => {
    const dir = tempDir('nitro-emu-kms-state-');
    const good = join(dir, 'good.state');
    const server = await serve({ statePath: good });
    await client(server).send(new CreateKeyCommand({}));
    await server.close();
    const bytes = new Uint8Array(readFileSync(good));
    const state = decodeStateFile(bytes, good);

    const corrupted = Uint8Array.from(bytes);
    corrupted[corrupted.length - 20]! ^= 0x04;
    const badMaterial = encodeStateFile({ ...state, kms: { ...state.kms, keys: [{ ...state.kms.keys[0]!, material: 'AAAA' }] } });
    const cases: [string, Uint8Array, string, number?][] = [
      ['corrupted', corrupted, 'KMS_STATE_CORRUPT'],
      ['truncated', bytes.subarray(0, bytes.length - 10), 'KMS_STATE_TRUNCATED'],
      ['truncated-header', bytes.subarray(0, 12), 'KMS_STATE_TRUNCATED'],
      ['empty', new Uint8Array(0), 'KMS_STATE_TRUNCATED'],
      ['not-ours', utf8('{"keys": []}\n'), 'KMS_STATE_FORMAT'],
      ['future', utf8(new TextDecoder().decode(bytes).replace('NITRO-EMU-KMS-STATE/1 ', 'NITRO-EMU-KMS-STATE/9 ')), 'KMS_STATE_VERSION'],
      ['bad-material', badMaterial, 'KMS_STATE_INVALID'],
      ['other-seed', bytes, 'KMS_STATE_SEED_MISMATCH', 4],
    ];
    for (const [name, content, code, seed] of cases) {
      const path = join(dir, `${name}.state`);
      writeFileSync(path, content);
      expect(await refusalCode(startKmsServer({ seed: seed ?? 3, statePath: path })), name).toBe(code);
      expect(new Uint8Array(readFileSync(path)), name).toEqual(content);
      expect(existsSync(`${path}.tmp`), name).toBe(false);
    }
  });
});
