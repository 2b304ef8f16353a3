import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../src/cli/command.ts';
import { processIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { buildReport, mergeReports, parseShardReport, type SeedResult } from '../../src/scenario/swarm/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { cli } from '../helpers/cli.ts';

/** A stand-in result: merge logic does not care how a seed ran, only what it reported. */
function fake(seed: number, violated = false): SeedResult {
  return {
    seed,
    digest: seed.toString(16).padStart(64, '0'),
    outcome: seed % 3 === 0 ? 'unavailable' : 'completed',
    reason: 'x',
    violations: violated ? [{ invariant: 'INV-SCRUB', detail: 'dirty' }] : [],
    plan: 'no faults',
    faultsFired: {},
    launches: 1,
    virtualTimeNs: 0,
  };
}

function shard(k: number, n: number, start = 0, seeds = 6, defencesOff: string[] = []) {
  const results = [];
  for (let s = start + k - 1; s < start + seeds; s += n) results.push(fake(s, s === 4));
  const report = buildReport({ start, seeds, shardIndex: k, shardCount: n }, defencesOff, results);
  return { name: `shard-${k}`, report: parseShardReport(`shard-${k}`, JSON.stringify(report)) };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isEmuError(error)) return error.code;
    throw error;
  }
  return 'none';
}

describe('swarm merge', () => {
  it('merges three shards into the unsharded report and keeps violations in seed order with their repro', () => {
    const whole = buildReport({ start: 0, seeds: 6, shardIndex: 1, shardCount: 1 }, [], [0, 1, 2, 3, 4, 5].map((s) => fake(s, s === 4)));
    const merged = mergeReports([shard(3, 3), shard(1, 3), shard(2, 3)]);
    expect(merged).toEqual(whole);
    expect(merged.violations).toEqual([{ seed: 4, invariant: 'INV-SCRUB', detail: 'dirty', repro: 'nitro-emu swarm --seeds 1 --start 4' }]);
  });

  it('refuses overlapping, inconsistent, incomplete and malformed shards with clear codes', () => {
    expect(codeOf(() => mergeReports([shard(1, 2), shard(1, 2)]))).toBe('SWARM_MERGE_OVERLAP');
    expect(codeOf(() => mergeReports([shard(1, 2), shard(2, 2, 1)]))).toBe('SWARM_MERGE_INCONSISTENT');
    expect(codeOf(() => mergeReports([shard(1, 2), shard(2, 3)]))).toBe('SWARM_MERGE_INCONSISTENT');
    expect(codeOf(() => mergeReports([shard(1, 2), shard(2, 2, 0, 6, ['scrubOnRelease'])]))).toBe('SWARM_MERGE_INCONSISTENT');
    expect(codeOf(() => mergeReports([shard(1, 2)]))).toBe('SWARM_MERGE_INCOMPLETE');
    expect(codeOf(() => mergeReports([]))).toBe('SWARM_MERGE_EMPTY');
    const good = JSON.stringify(shard(1, 2).report);
    const edit = (f: (r: Record<string, unknown>) => void) => {
      const r = JSON.parse(good) as Record<string, unknown>;
      f(r);
      return codeOf(() => parseShardReport('f', JSON.stringify(r)));
    };
    expect(codeOf(() => parseShardReport('f', '{not json'))).toBe('SWARM_BAD_SHARD_FILE');
    expect(edit((r) => (r['runs'] = 2))).toBe('SWARM_BAD_SHARD_FILE');
    expect(edit((r) => (r['shard'] = '2/2'))).toBe('SWARM_BAD_SHARD_FILE');
    expect(edit((r) => (r['perSeed'] as unknown[]).pop())).toBe('SWARM_BAD_SHARD_FILE');
    expect(edit((r) => ((r['perSeed'] as Array<Record<string, unknown>>)[0]!['digest'] = 'f'.repeat(64)))).toBe('SWARM_BAD_SHARD_FILE');
    expect(edit((r) => (r['violations'] = [{ seed: 1, invariant: 'X', detail: '', repro: '' }]))).toBe('SWARM_BAD_SHARD_FILE');
    expect(edit((r) => (r['completed'] = 0))).toBe('SWARM_BAD_SHARD_FILE');
    expect(edit(() => undefined)).toBe('none');
  });
});

describe('nitro-emu swarm', () => {
  it('needs --seeds and a valid shard', async () => {
    expect((await cli(['swarm'])).code).toBe(2);
    const badShard = await cli(['swarm', '--seeds', '2', '--shard', '3/2']);
    expect(badShard.code).toBe(2);
    expect(badShard.stderr).toContain('SWARM_BAD_SHARD');
    expect((await cli(['swarm', '--seeds', '2', '--defence-off', 'nonsense'])).code).toBe(2);
    expect((await cli(['swarm', 'merge'])).code).toBe(2);
  });

  it('prints the seed range first, draws a progress bar only on a terminal, and keeps stdout pure JSON', async () => {
    let stdout = '';
    let stderr = '';
    const io: CommandIo = { ...processIo(), stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stderrIsTty: true };
    const code = await main(['swarm', '--seeds', '1', '--start', '7', '--json'], io);
    expect(code).toBe(0);
    expect(stderr.startsWith('nitro-emu swarm — seeds 7…7 (1)')).toBe(true);
    expect(stderr).toContain('\r[##############################] 1/1 seeds');
    const report = JSON.parse(stdout) as { runs: number; violations: unknown[]; digest: string };
    expect(report.runs).toBe(1);
    expect(report.violations).toEqual([]);
    expect(report.digest).toMatch(/^[0-9a-f]{64}$/);
    const plain = await cli(['swarm', '--seeds', '0']);
    expect(plain.code).toBe(0);
    expect(plain.stdout.split('\n')[0]).toBe('nitro-emu swarm — seeds none (0)');
    expect(plain.stderr).not.toContain('\r[');
  }, 30_000);
});
