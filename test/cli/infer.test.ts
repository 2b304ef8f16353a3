import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';

describe('nitro-emu infer', () => {
  it('confidential and plain paths give the same outputSha256; the confidential one costs more virtual time', async () => {
    const confidential = await cli(['infer', '--seed', '2', '--path', 'confidential', '--json']);
    const plain = await cli(['infer', '--seed', '2', '--path', 'plain', '--json']);
    expect(confidential.code).toBe(0);
    expect(plain.code).toBe(0);
    const c = JSON.parse(confidential.stdout);
    const p = JSON.parse(plain.stdout);
    for (const r of [c, p]) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['outputSha256', 'tokens', 'virtualTimeNs', 'wallMs', 'device']));
      expect(r.outputSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.device).toBe('gpu');
      expect(r.matchesReference).toBe(true);
    }
    expect(c.outputSha256).toBe(p.outputSha256);
    expect(c.tokens).toEqual(p.tokens);
    expect(c.virtualTimeNs).toBeGreaterThan(p.virtualTimeNs);
  }, 30_000);

  it('trainium is labelled as the assumed platform-mediated design', async () => {
    const run = await cli(['infer', '--seed', '2', '--path', 'confidential', '--device', 'trainium']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/platform-mediated, ASSUMED/);
    expect(run.stdout).toMatch(/equals the CPU reference/);
  }, 30_000);

  it('bad arguments exit 2 with a clear message', async () => {
    for (const argv of [['infer'], ['infer', '--path', 'fast'], ['infer', '--path', 'plain', '--device', 'tpu'], ['infer', '--path', 'plain', '--devices', '9']]) {
      const run = await cli(argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--(path|device|devices)/);
    }
  });
});
