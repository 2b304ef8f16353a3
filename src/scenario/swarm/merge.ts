import { EmuError } from '../../errors.ts';
import { SWARM_SEEDS_MAX, checkRange, digestOfSeeds, parseShard, reproCommand, shardSeeds, type SwarmReport, type SwarmViolation } from './report.ts';

const HEX64 = /^[0-9a-f]{64}$/;

function bad(name: string, why: string): never {
  throw new EmuError('SWARM_BAD_SHARD_FILE', `${name}: ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads one shard's JSON strictly: every field typed, its seeds exactly the ones its shard takes, its
 * digest recomputed from its per-seed digests, its violations on its own seeds. `name` labels errors.
 */
export function parseShardReport(name: string, text: string): SwarmReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    bad(name, 'is not JSON (expected the output of nitro-emu swarm --json)');
  }
  if (!isObject(value)) bad(name, 'is not a JSON object');
  const { runs, violations, digest, start, seeds, shard, defencesOff, completed, unavailable, perSeed } = value;
  if (!Number.isSafeInteger(runs) || !Number.isSafeInteger(start) || !Number.isSafeInteger(seeds)) bad(name, 'runs, start and seeds must be integers');
  if (typeof digest !== 'string' || !HEX64.test(digest)) bad(name, 'digest must be 64 lowercase hex digits');
  if (typeof shard !== 'string') bad(name, 'shard must be "k/n"');
  if (!Array.isArray(defencesOff) || !defencesOff.every((d) => typeof d === 'string')) bad(name, 'defencesOff must be a list of names');
  if (!Array.isArray(perSeed) || perSeed.length > SWARM_SEEDS_MAX) bad(name, 'perSeed must be a list');
  if (!Array.isArray(violations) || violations.length > 64 * SWARM_SEEDS_MAX) bad(name, 'violations must be a list');
  let k: number;
  let n: number;
  try {
    [k, n] = parseShard(shard);
    checkRange({ start: start as number, seeds: seeds as number, shardIndex: k, shardCount: n });
  } catch (error) {
    bad(name, (error as Error).message);
  }
  const expected = shardSeeds({ start: start as number, seeds: seeds as number, shardIndex: k, shardCount: n });
  const rows = perSeed.map((row: unknown, i) => {
    if (!isObject(row) || !Number.isSafeInteger(row['seed']) || typeof row['digest'] !== 'string' || !HEX64.test(row['digest'])) {
      bad(name, `perSeed[${i}] must be {seed, digest, outcome}`);
    }
    if (row['outcome'] !== 'completed' && row['outcome'] !== 'unavailable') bad(name, `perSeed[${i}].outcome must be completed or unavailable`);
    return { seed: row['seed'] as number, digest: row['digest'], outcome: row['outcome'] as 'completed' | 'unavailable' };
  });
  if (rows.length !== expected.length || rows.some((row, i) => row.seed !== expected[i])) {
    bad(name, `its seeds are not exactly those shard ${shard} of ${start}…+${seeds} takes`);
  }
  if (runs !== rows.length) bad(name, `runs is ${String(runs)} but it lists ${rows.length} seeds`);
  if (digestOfSeeds(rows.map((r) => r.digest)) !== digest) bad(name, 'digest does not match its per-seed digests (edited or truncated?)');
  const done = rows.filter((r) => r.outcome === 'completed').length;
  if (completed !== done || unavailable !== rows.length - done) bad(name, 'completed/unavailable counts do not match its per-seed outcomes');
  const own = new Set(expected);
  const checked: SwarmViolation[] = violations.map((v: unknown, i) => {
    if (!isObject(v) || !Number.isSafeInteger(v['seed']) || typeof v['invariant'] !== 'string' || typeof v['detail'] !== 'string' || typeof v['repro'] !== 'string') {
      bad(name, `violations[${i}] must be {seed, invariant, detail, repro}`);
    }
    if (!own.has(v['seed'] as number)) bad(name, `violations[${i}] is on seed ${String(v['seed'])}, which this shard did not run`);
    return { seed: v['seed'] as number, invariant: v['invariant'], detail: v['detail'], repro: v['repro'] };
  });
  return {
    runs: rows.length,
    violations: checked,
    digest,
    start: start as number,
    seeds: seeds as number,
    shard,
    defencesOff: defencesOff as string[],
    completed: done,
    unavailable: rows.length - done,
    perSeed: rows,
  };
}

/**
 * Combines every shard of one swarm run into the report the unsharded run prints. Refuses shards of
 * different runs (range, shard count or defences), a shard given twice, and a missing shard.
 */
export function mergeReports(shards: ReadonlyArray<{ readonly name: string; readonly report: SwarmReport }>): SwarmReport {
  const first = shards[0];
  if (first === undefined) throw new EmuError('SWARM_MERGE_EMPTY', 'nothing to merge: name the shard files');
  const [, n] = parseShard(first.report.shard);
  const seen = new Map<number, string>();
  for (const { name, report } of shards) {
    const [k, count] = parseShard(report.shard);
    if (report.start !== first.report.start || report.seeds !== first.report.seeds || count !== n) {
      throw new EmuError(
        'SWARM_MERGE_INCONSISTENT',
        `${name} covers seeds ${report.start}…+${report.seeds} in ${count} shards, but ${first.name} covers ${first.report.start}…+${first.report.seeds} in ${n}`,
      );
    }
    if (report.defencesOff.join(',') !== first.report.defencesOff.join(',')) {
      throw new EmuError('SWARM_MERGE_INCONSISTENT', `${name} ran with defences off [${report.defencesOff.join(',')}], ${first.name} with [${first.report.defencesOff.join(',')}]`);
    }
    const other = seen.get(k);
    if (other !== undefined) throw new EmuError('SWARM_MERGE_OVERLAP', `${name} and ${other} are both shard ${k}/${n}: their seeds overlap`);
    seen.set(k, name);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (missing.length > 0) {
    throw new EmuError('SWARM_MERGE_INCOMPLETE', `shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} missing: the merge would not cover seeds ${first.report.start}…+${first.report.seeds}`);
  }
  const perSeed = shards.flatMap((s) => s.report.perSeed).sort((a, b) => a.seed - b.seed);
  const defencesOff = first.report.defencesOff;
  const order = new Map(perSeed.map((row, i) => [row.seed, i]));
  // Violations keep each shard's order within a seed; seeds are ordered as in an unsharded run.
  const violations = shards
    .flatMap((s) => s.report.violations.map((v, i) => ({ v, i })))
    .sort((a, b) => (order.get(a.v.seed) ?? 0) - (order.get(b.v.seed) ?? 0) || a.i - b.i)
    .map(({ v }) => ({ ...v, repro: reproCommand(v.seed, defencesOff) }));
  const completed = perSeed.filter((r) => r.outcome === 'completed').length;
  return {
    runs: perSeed.length,
    violations,
    digest: digestOfSeeds(perSeed.map((r) => r.digest)),
    start: first.report.start,
    seeds: first.report.seeds,
    shard: '1/1',
    defencesOff: [...defencesOff],
    completed,
    unavailable: perSeed.length - completed,
    perSeed,
  };
}
