import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSvg } from '../../src/efa/index.ts';
import { cli, tempDir } from '../helpers/cli.ts';

describe('nitro-emu fabric experiment', () => {
  it('--json prints {experiment, transport, metrics} with unit-named metrics and nothing else on stdout', async () => {
    const run = await cli(['fabric', 'experiment', 'E2', '--seed', '3', '--transport', 'gbn', '--encrypt', 'off', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.experiment).toBe('E2');
    expect(out.transport).toBe('gbn');
    expect(out.seed).toBe(3);
    expect(out.encrypt).toBe(false);
    expect(Object.keys(out.metrics)).toEqual(expect.arrayContaining(['recoveryUs', 'appErrors', 'stallUsMax']));
    expect(run.stderr).toContain('seed 3, gbn, encryption off');
  });

  it('E4 reports per-N values under byN and the SRD bars in the human output', async () => {
    const run = await cli(['fabric', 'experiment', 'E4', '--crypto', 'model']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/completionOverIdealMax/);
    expect(run.stdout).toMatch(/N=64\s+completionOverIdeal/);
    expect(run.stdout).toMatch(/(meets|MISSES): Jain ≥ 0.95 at every N/);
  });

  it('--svg runs every transport and writes a well-formed picture with one path per transport', async () => {
    const file = join(tempDir(), 'e3.svg');
    const run = await cli(['fabric', 'experiment', 'E3', '--encrypt', 'off', '--svg', file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/running E3 with tcp-1ms for the picture/);
    const svg = readFileSync(file, 'utf8');
    expect(checkSvg(svg).elements['path']).toBe(4);
    for (const kind of ['srd', 'tcp', 'tcp-1ms', 'gbn']) expect(svg).toContain(`${kind} goodput`);
  });

  it('the fabric benchmarks are registered and the 128-host permutation runs to completion', async () => {
    const run = await cli(['bench', '--only', 'fabric-permutation-128', '--budget-ms', '100', '--json']);
    expect(run.code).toBe(0);
    const [result] = JSON.parse(run.stdout);
    expect(result.name).toBe('fabric-permutation-128');
    expect(result.unit).toBe('events/s');
    expect(result.value).toBeGreaterThan(0);
    expect(result.ratio).toBeCloseTo(result.value / result.ceiling, 2);
  }, 30_000);

  it('bad arguments exit 2 with a clear message', async () => {
    for (const [argv, message] of [
      [['fabric'], /fabric experiment/],
      [['fabric', 'run', 'E1'], /fabric experiment/],
      [['fabric', 'experiment', 'E5'], /experiment must be E1, E2, E3, E4/],
      [['fabric', 'experiment', 'E1', '--transport', 'udp'], /--transport must be/],
      [['fabric', 'experiment', 'E1', '--encrypt', 'yes'], /--encrypt must be on or off/],
      [['fabric', 'experiment', 'E1', '--crypto', 'fast'], /--crypto must be/],
      [['fabric', 'experiment', 'E1', '--seed', 'x'], /--seed/],
      [['fabric', 'experiment', 'E1', '--bogus'], /unknown option --bogus/],
    ] as const) {
      const run = await cli([...argv]);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});
