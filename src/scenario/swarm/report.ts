import { sha256, toHex, utf8 } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import type { SeedResult } from './run-seed.ts';

/** Which seeds a run covers: `[start, start + seeds)`, of which shard k/n takes `(seed - start) % n == k - 1`. */
export interface SeedRange {
  readonly start: number;
  readonly seeds: number;
  readonly shardIndex: number;
  readonly shardCount: number;
}

export interface SwarmViolation {
  readonly seed: number;
  readonly invariant: string;
  readonly detail: string;
  /** The exact one-line command that replays this seed alone. */
  readonly repro: string;
}

/** The `--json` shape of `nitro-emu swarm` and of `swarm merge`. */
export interface SwarmReport {
  readonly runs: number;
  readonly violations: readonly SwarmViolation[];
  /** SHA-256 over the per-seed digests in seed order: shards merged give the unsharded digest. */
  readonly digest: string;
  readonly start: number;
  readonly seeds: number;
  readonly shard: string;
  readonly defencesOff: readonly string[];
  readonly completed: number;
  readonly unavailable: number;
  readonly perSeed: ReadonlyArray<{ readonly seed: number; readonly digest: string; readonly outcome: 'completed' | 'unavailable' }>;
}

/** Bounds what a run or a merge accepts (a shard file is input from outside). */
export const SWARM_SEEDS_MAX = 1_000_000;
export const SWARM_SHARDS_MAX = 1024;

export function shardSeeds(range: SeedRange): number[] {
  checkRange(range);
  const seeds: number[] = [];
  for (let seed = range.start + range.shardIndex - 1; seed < range.start + range.seeds; seed += range.shardCount) seeds.push(seed);
  return seeds;
}

export function checkRange(range: SeedRange): void {
  const { start, seeds, shardIndex, shardCount } = range;
  const ok =
    Number.isSafeInteger(start) &&
    start >= 0 &&
    Number.isSafeInteger(seeds) &&
    seeds >= 0 &&
    seeds <= SWARM_SEEDS_MAX &&
    Number.isSafeInteger(start + seeds) &&
    Number.isInteger(shardCount) &&
    shardCount >= 1 &&
    shardCount <= SWARM_SHARDS_MAX &&
    Number.isInteger(shardIndex) &&
    shardIndex >= 1 &&
    shardIndex <= shardCount;
  if (!ok) {
    throw new EmuError('SWARM_BAD_RANGE', `seeds ${start}…+${seeds} shard ${shardIndex}/${shardCount} is not a valid range (up to ${SWARM_SEEDS_MAX} seeds, ${SWARM_SHARDS_MAX} shards)`);
  }
}

/** `k/n` → [k, n]. */
export function parseShard(text: string): [number, number] {
  const match = /^(\d{1,4})\/(\d{1,4})$/.exec(text);
  const k = Number(match?.[1]);
  const n = Number(match?.[2]);
  if (match === null || n < 1 || n > SWARM_SHARDS_MAX || k < 1 || k > n) {
    throw new EmuError('SWARM_BAD_SHARD', `--shard must be k/n with 1 ≤ k ≤ n ≤ ${SWARM_SHARDS_MAX}, got ${JSON.stringify(text)}`);
  }
  return [k, n];
}

export function reproCommand(seed: number, defencesOff: readonly string[]): string {
  return `nitro-emu swarm --seeds 1 --start ${seed}${defencesOff.length > 0 ? ` --defence-off ${defencesOff.join(',')}` : ''}`;
}

export function digestOfSeeds(digests: readonly string[]): string {
  return toHex(sha256(utf8(digests.join('\n'))));
}

/** Results in any order → the report, ordered by seed. */
export function buildReport(range: SeedRange, defencesOff: readonly string[], results: readonly SeedResult[]): SwarmReport {
  const sorted = [...results].sort((a, b) => a.seed - b.seed);
  const violations = sorted.flatMap((r) =>
    r.violations.map((v) => ({ seed: r.seed, invariant: v.invariant, detail: v.detail, repro: reproCommand(r.seed, defencesOff) })),
  );
  const completed = sorted.filter((r) => r.outcome === 'completed').length;
  return {
    runs: sorted.length,
    violations,
    digest: digestOfSeeds(sorted.map((r) => r.digest)),
    start: range.start,
    seeds: range.seeds,
    shard: `${range.shardIndex}/${range.shardCount}`,
    defencesOff: [...defencesOff],
    completed,
    unavailable: sorted.length - completed,
    perSeed: sorted.map((r) => ({ seed: r.seed, digest: r.digest, outcome: r.outcome })),
  };
}
