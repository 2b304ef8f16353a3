import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.ts';

const fixtures = new URL('../fixtures/nitro/', import.meta.url).pathname;
const awsRoot = join(fixtures, 'AWS_NitroEnclaves_Root-G1.pem');

const REAL = [
  { file: 'real-2022-10-production-signed-eif.cbor', at: 1665651482136, valid: true, debugMode: false },
  { file: 'real-2022-10-debug-mode.cbor', at: 1665582606081, valid: true, debugMode: true },
  { file: 'real-2026-02-production-indefinite-map.cbor', at: 1770065027502, valid: true, debugMode: false },
  { file: 'real-2024-07-BAD-SIGNATURE.cbor', at: 1721770180771, valid: false, debugMode: true },
];

describe('verify-attestation on real AWS documents', () => {
  for (const doc of REAL) {
    it(`${doc.file}: ${doc.valid ? 'valid' : 'invalid'} at its own time, invalid today`, async () => {
      const atDocTime = await cli(['verify-attestation', join(fixtures, doc.file), '--root', awsRoot, '--at', String(doc.at), '--json']);
      const report = JSON.parse(atDocTime.stdout);
      expect(atDocTime.code).toBe(doc.valid ? 0 : 1);
      expect(report).toMatchObject({ valid: doc.valid, timestamp: doc.at, debugMode: doc.debugMode });
      expect(report.moduleId).toMatch(/^i-[0-9a-f]{17}-enc[0-9a-f]{16}$/);
      expect(report.pcrs['0']).toMatch(/^[0-9a-f]{96}$/);
      if (!doc.valid) expect(report.code).toBe('ATT_BAD_SIGNATURE');
      const today = await cli(['verify-attestation', join(fixtures, doc.file), '--root', awsRoot, '--json']);
      expect(today.code).toBe(1);
      expect(JSON.parse(today.stdout).valid).toBe(false);
    });
  }
});

describe('attest → verify-attestation', () => {
  it('writes a document that verifies against the emulated root of its seed, and not against AWS’s', async () => {
    const dir = tempDir();
    const epoch = '2026-03-01T12:00:00Z';
    const at = String(Date.parse(epoch) + 1000);
    const out = await cli([
      'attest', '--seed', '9', '--out', join(dir, 'doc.cbor'), '--root-out', join(dir, 'root.pem'),
      '--nonce', 'a1b2c3', '--user-data', '00ff', '--epoch', epoch,
    ]);
    expect(out.code).toBe(0);
    const doc = readFileSync(join(dir, 'doc.cbor'));
    expect(doc.subarray(0, 8).toString('hex')).toBe('8444a1013822a059');
    const ok = await cli(['verify-attestation', join(dir, 'doc.cbor'), '--root', join(dir, 'root.pem'), '--at', at, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, debugMode: false, timestamp: Date.parse(epoch) });
    const wrongRoot = await cli(['verify-attestation', join(dir, 'doc.cbor'), '--root', awsRoot, '--at', at, '--json']);
    expect(wrongRoot.code).toBe(1);
    const expired = await cli(['verify-attestation', join(dir, 'doc.cbor'), '--root', join(dir, 'root.pem'), '--at', String(Date.parse(epoch) + 4 * 3600_000), '--json']);
    expect(expired.code).toBe(1);
    expect(JSON.parse(expired.stdout).code).toMatch(/^CHAIN_/);
  });

  it('gives the same root for the same seed whatever the epoch, and another for another seed', async () => {
    const dir = tempDir();
    for (const [name, seed, epoch] of [['a', '4', '2026-01-01'], ['b', '4', '2031-07-09'], ['c', '5', '2026-01-01']] as const) {
      const run = await cli(['attest', '--seed', seed, '--epoch', epoch, '--out', join(dir, `${name}.cbor`), '--root-out', join(dir, `${name}.pem`)]);
      expect(run.code).toBe(0);
    }
    const pem = (n: string) => readFileSync(join(dir, `${n}.pem`), 'utf8');
    expect(pem('a')).toBe(pem('b'));
    expect(pem('a')).not.toBe(pem('c'));
  });

  it('reports a debug-mode document as valid with debugMode true and zero PCR0', async () => {
    const dir = tempDir();
    await cli(['attest', '--seed', '1', '--debug-mode', '--epoch', '2026-01-01', '--out', join(dir, 'd.cbor'), '--root-out', join(dir, 'r.pem')]);
    const run = await cli(['verify-attestation', join(dir, 'd.cbor'), '--root', join(dir, 'r.pem'), '--at', '2026-01-01T00:10:00Z', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.debugMode).toBe(true);
    expect(report.pcrs['0']).toBe('0'.repeat(96));
    expect(report.pcrs['4']).not.toBe('0'.repeat(96));
  });

  it('refuses bad input with a typed error and exit 2', async () => {
    const dir = tempDir();
    expect((await cli(['attest', '--seed', '1'])).code).toBe(2);
    expect((await cli(['attest', '--seed', 'x', '--out', join(dir, 'x')])).code).toBe(2);
    expect((await cli(['attest', '--seed', '1', '--out', join(dir, 'x'), '--nonce', 'zz'])).stderr).toMatch(/BAD_HEX/);
    expect((await cli(['verify-attestation', join(dir, 'missing.cbor'), '--root', awsRoot])).stderr).toMatch(/CLI_FILE_UNREADABLE/);
    expect((await cli(['verify-attestation', '--root', awsRoot])).code).toBe(2);
    expect((await cli(['verify-attestation', join(fixtures, REAL[0]!.file), '--root', awsRoot, '--at', 'yesterday'])).stderr).toMatch(/CLI_BAD_TIME/);
    expect((await cli(['nonsense'])).code).toBe(2);
  });
});
