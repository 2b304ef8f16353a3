import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';

describe('nitro-emu demo', () => {
  it('--json prints only JSON on stdout with seed, digest, invariants and ledger; narration goes to stderr', async () => {
    const run = await cli(['demo', '--seed', '3', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.seed).toBe(3);
    expect(report.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.values(report.invariants).every((v) => v === true)).toBe(true);
    expect(Object.keys(report.ledger)).toEqual(expect.arrayContaining(['parent-admin', 'operator', 'client', 'owner']));
    expect(run.stderr).toMatch(/Owner creates the model key/);
    expect(run.stderr).toMatch(/reproduce: nitro-emu demo --seed 3/);
  });

  it('exits 1 when a negative control leaks, and 2 for an unknown defence', async () => {
    const leak = await cli(['demo', '--seed', '3', '--defence-off', 'attestedKeyPolicy']);
    expect(leak.code).toBe(1);
    expect(leak.stdout).toMatch(/VIOLATED INV-NO-CANARY: data-key/);
    const bad = await cli(['demo', '--defence-off', 'firewall']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown defence/);
  });
});
