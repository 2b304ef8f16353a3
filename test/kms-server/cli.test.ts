import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.ts';
import { client, OUTSIDER, sdkError } from './helpers.ts';

const BIN = new URL('../../bin/nitro-emu.mjs', import.meta.url).pathname;

/** Spawns `nitro-emu kms serve …` and resolves with the URL once its first stdout line is out. */
function spawnServe(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'kms', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve(stdout.slice(0, newline));
    });
    void exited.then((code) => reject(new Error(`exited ${code} before printing a URL: ${stderr}`)));
  });
  return { child, url, exited, output: () => ({ stdout, stderr }) };
}

describe('nitro-emu kms serve (child process)', () => {
  it('prints the URL first, serves the SDK, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir('nitro-emu-kms-cli-');
    const keys = join(dir, 'keys.json');
    writeFileSync(keys, JSON.stringify({ AKIACUSTOMADMIN00001: { arn: 'arn:aws:iam::111122223333:user/alice', secretAccessKey: 'alice-secret' } }));
    const served = spawnServe(['--port', '0', '--seed', '4', '--state', join(dir, 'kms.state'), '--access-keys', keys]);
    const url = await served.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const alice = client({ url }, { accessKeyId: 'AKIACUSTOMADMIN00001', secretAccessKey: 'alice-secret' });
    const created = await alice.send(new CreateKeyCommand({}));
    expect((await alice.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId)).toEqual([created.KeyMetadata!.KeyId]);
    // The file replaced the built-in table.
    expect((await sdkError(client({ url }, OUTSIDER).send(new ListKeysCommand({})))).name).toBe('UnrecognizedClientException');
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(served.output().stderr).toContain('SIGTERM, stopped after 3 request(s)');
    expect(served.output().stderr).toContain('emulated Nitro root of seed 4');
    expect(readFileSync(join(dir, 'kms.state'), 'utf8')).toContain(created.KeyMetadata!.KeyId!);
  }, 30_000);

  it('bad flags and a corrupted state file are typed errors with exit 2', async () => {
    const dir = tempDir('nitro-emu-kms-cli-');
    const corrupt = join(dir, 'corrupt.state');
    writeFileSync(corrupt, 'NITRO-EMU-KMS-STATE/1 length=5 sha256=' + '0'.repeat(64) + '\nhello');
    const cases: [string[], RegExp][] = [
      [['--port', '70000'], /--port must be a whole number from 0 to 65535/],
      [['--seed', 'x'], /--seed must be a whole number/],
      [['--json'], /unknown option --json for kms serve/],
      [['--frobnicate'], /unknown option --frobnicate/],
      [['--state', corrupt], /corrupted: the body does not match its SHA-256; the file was left as it is/],
      [['--access-keys', join(dir, 'missing.json')], /cannot read/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(['kms', 'serve', ...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stdout).toBe('');
    }
    expect(readFileSync(corrupt, 'utf8')).toContain('\nhello');
    const lint = await cli(['kms', 'lint-policy', join(dir, 'p.json'), '--port', '1']);
    expect([lint.code, lint.stderr.includes('unknown option --port for kms lint-policy')]).toEqual([2, true]);
    const help = await cli(['kms', 'serve', '--help']);
    expect(help.stdout).toContain('nitro-emu kms serve [--host H] [--port P] [--seed N] [--state FILE]');
  });
});
