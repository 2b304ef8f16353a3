import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';

describe('nitro-emu demo --hosts N', () => {
  it('--hosts 2 --json prints the cluster report (hex digests, no typed arrays), the same twice', async () => {
    const first = await cli(['demo', '--hosts', '2', '--seed', '4', '--json']);
    const second = await cli(['demo', '--hosts', '2', '--seed', '4', '--json']);
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ hosts: 2, seed: 4, leaks: [], mesh: { ok: true } });
    expect(report.allReduce.bitExact).toBe(true);
    expect(report.allReduce.outputSha256).toEqual([report.allReduce.referenceSha256, report.allReduce.referenceSha256]);
    expect(report.outputSha256).toBe(report.allReduce.referenceSha256);
    expect(report.inputSha256).toHaveLength(2);
    expect(report.allReduce).not.toHaveProperty('outputs');
    expect(report.local).toEqual({ source: 'device-tokens', samplesPerRank: 1, elements: 12 });
    expect(first.stderr).toMatch(/The enclaves attest each other over the fabric/);
    expect(first.stderr).toMatch(/reproduce: nitro-emu demo --seed 4 .*--hosts 2/);
  }, 30_000);

  it('--defence-off linkEncryption turns the leak verdict red and exits 1', async () => {
    const run = await cli(['demo', '--hosts', '2', '--device', 'none', '--defence-off', 'linkEncryption']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/IN THE CLEAR/);
    expect(run.stdout).toMatch(/rank0-local-tensor → network via fabric tap h0->leaf0/);
    expect(run.stdout).toMatch(/Verdict: VIOLATED/);
  }, 30_000);

  it('a debug-mode rank is refused in the mesh, so the collective does not run (exit 1)', async () => {
    const run = await cli(['demo', '--hosts', '2', '--device', 'none', '--debug-ranks', '1']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/rank 0 ↔ rank 1 {2}REFUSED LINK_HANDSHAKE_DEBUG_PEER/);
    expect(run.stdout).toMatch(/NOT bit-exact/);
  }, 30_000);

  it('bad host counts and ranks exit 2 with a typed error', async () => {
    for (const argv of [
      ['--hosts', '9'],
      ['--hosts', '0'],
      ['--hosts', '2', '--debug-ranks', '5'],
      ['--hosts', '2', '--foreign-ranks', 'x'],
      ['--debug-ranks', '1'],
      ['--hosts', '2', '--debug-mode'],
    ]) {
      const run = await cli(['demo', ...argv]);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/CLI_BAD_ARGS|CLUSTER_BAD_OPTIONS/);
    }
  });
});
