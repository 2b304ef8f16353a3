import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/scenario/catalogue/index.ts';
import { resultsJson, runScenario, type ResultsJson } from '../../src/scenario/index.ts';
import { cli, tempDir } from '../helpers/cli.ts';

describe('nitro-emu scenario', () => {
  it('list --json prints the catalogue with exactly the contract fields', async () => {
    const run = await cli(['scenario', 'list', '--json']);
    expect(run.code).toBe(0);
    const list = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(list).toHaveLength(CATALOGUE.length);
    for (const item of list) expect(Object.keys(item)).toEqual(['id', 'name', 'attacker', 'promises', 'invariants', 'expect']);
  });

  it('run --file runs a YAML script: seed first, JSON on stdout, JUnit and ledger files, exit 0', async () => {
    const dir = tempDir();
    const junit = join(dir, 'j.xml');
    const ledger = join(dir, 'l.json');
    const run = await cli(['scenario', 'run', '--file', 'scenarios/parent-decrypts-without-attestation.yaml', '--seed', '5', '--json', '--junit', junit, '--ledger', ledger]);
    expect(run.code).toBe(0);
    expect(run.stderr.startsWith('seed 5\n')).toBe(true);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({ seed: 5, results: [{ id: 'TEACH-UNATTESTED', attacker: 'parent-admin', expect: 'blocked', outcome: 'blocked', control: 'leaked' }] });
    expect(readFileSync(junit, 'utf8')).toContain('<testcase classname="scenario.parent-admin" name="TEACH-UNATTESTED pa.kms.decrypt-without-attestation"');
    const ledgerJson = JSON.parse(readFileSync(ledger, 'utf8'));
    expect(ledgerJson.scenarios[0].runs.control.observations['parent-admin'].some((o: { canaryHits: unknown[] }) => o.canaryHits.length > 0)).toBe(true);
  });

  it('a failing scenario exits 1 and prints its one-line repro command', async () => {
    const dir = tempDir();
    const file = join(dir, 'weak.yaml');
    // Listing the disk reveals nothing even with the defence off: the control is not caught, so it fails.
    const text = readFileSync('scenarios/parent-decrypts-without-attestation.yaml', 'utf8').replace(/steps:[\s\S]*$/, 'steps:\n  - deploy\n  - action: parent.read-disk\n    path: model/manifest.json\n');
    (await import('node:fs')).writeFileSync(file, text);
    const run = await cli(['scenario', 'run', '--file', file, '--seed', '2']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^seed 2\n/);
    expect(run.stdout).toContain('FAIL');
    expect(run.stdout).toContain(`repro: npx nitro-emu scenario run --file ${file} --seed 2`);
  });

  it('bad usage exits 2 with a clear message', async () => {
    expect((await cli(['scenario', 'run', 'NOPE-99'])).stderr).toContain('no scenario "NOPE-99"');
    expect((await cli(['scenario', 'run'])).code).toBe(2);
    expect((await cli(['scenario', 'frobnicate'])).stderr).toContain('list or run');
    const bad = await cli(['scenario', 'run', '--file', 'package.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/package\.json:1: /);
  });

  // In a child process, as users run it: worker threads register tsx's loader, which must not leak into this test process.
  it('from bin/nitro-emu.mjs, the worker pool gives the same results, in catalogue order, as running in-process', async () => {
    const ids = CATALOGUE.slice(0, 3).map((s) => s.id);
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/nitro-emu.mjs', 'scenario', 'run', ...[...ids].reverse(), '--seed', '8', '--json'], { timeout: 60_000 });
    const pooled = JSON.parse(stdout) as ResultsJson;
    expect(pooled.results.map((r) => r.id)).toEqual(ids);
    const direct = await runScenario(CATALOGUE[1]!, { seed: 8 });
    expect(pooled.results[1]).toEqual(resultsJson(8, [direct]).results[0]);
  });
});
