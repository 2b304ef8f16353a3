import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_PLAN, runSeed, runSwarm, samplePlan, type SwarmPlan } from '../../src/scenario/swarm/index.ts';
import { cli, tempDir } from '../helpers/cli.ts';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

const TYPED_REASON = /^[A-Z][A-Z0-9_]+: /;

describe('swarm runs', () => {
  it('shards 1/2 and 2/2 merged equal the unsharded run (in worker threads), seed by seed', async () => {
    const whole = await runSwarm({ seeds: 4, start: 20, workers: 2 });
    const first = await runSwarm({ seeds: 4, start: 20, shard: [1, 2], workers: 0 });
    const second = await runSwarm({ seeds: 4, start: 20, shard: [2, 2], workers: 0 });
    expect(first.report.perSeed.map((r) => r.seed)).toEqual([20, 22]);
    expect(second.report.perSeed.map((r) => r.seed)).toEqual([21, 23]);
    const dir = tempDir('nitro-emu-swarm-');
    const files = [join(dir, 'b.json'), join(dir, 'a.json')];
    writeFileSync(files[0]!, JSON.stringify(second.report));
    writeFileSync(files[1]!, JSON.stringify(first.report));
    const merged = await cli(['swarm', 'merge', ...files, '--json']);
    expect(merged.code).toBe(0);
    // Independent runs of the same seeds (other threads, other order) give the same digests.
    expect(JSON.parse(merged.stdout)).toEqual(whole.report);
    expect(whole.report.runs).toBe(4);
    expect(whole.report.violations).toEqual([]);
    // Another seed range is another digest.
    const other = await runSwarm({ seeds: 1, start: 24, workers: 0 });
    expect(other.report.digest).not.toBe(whole.report.digest);
    // A shard file whose digest was edited is refused.
    writeFileSync(files[0]!, JSON.stringify({ ...second.report, digest: other.report.digest }));
    const refused = await cli(['swarm', 'merge', ...files]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('SWARM_BAD_SHARD_FILE');
  }, 60_000);

  it('catches a defence switched off, with a repro line that replays the same violation', async () => {
    const run = await cli(['swarm', '--seeds', '1', '--start', '2', '--defence-off', 'scrubOnRelease', '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { runs: number; violations: Array<{ seed: number; invariant: string; repro: string }> };
    expect(report.runs).toBe(1);
    const scrub = report.violations.find((v) => v.invariant === 'INV-SCRUB');
    expect(scrub?.repro).toBe('nitro-emu swarm --seeds 1 --start 2 --defence-off scrubOnRelease');
    expect(run.stdout.indexOf('nitro-emu swarm —')).toBe(-1);
    expect(run.stderr).toContain('seeds 2…2');
    const replay = await cli([...scrub!.repro.split(' ').slice(1), '--json']);
    expect(JSON.parse(replay.stdout)).toEqual(report);
  }, 30_000);

  it('a KMS that drops every reply ends in a typed availability failure, not a hang and not a violation', async () => {
    const plan: SwarmPlan = { ...EMPTY_PLAN, kmsOutage: { atNs: 0, durationNs: 100 * 60_000_000_000, mode: 'drop' } };
    const result = await runSeed(4, { plan });
    expect(result.outcome).toBe('unavailable');
    expect(result.violations).toEqual([]);
    expect(result.reason).toMatch(TYPED_REASON);
    expect(result.reason).toContain('kms Decrypt');
    expect(result.launches).toBe(3);
  }, 30_000);

  it('the seed decides the plan, and plans vary across seeds (swarm testing randomises the configuration)', () => {
    expect(samplePlan(9)).toEqual(samplePlan(9));
    const kinds = new Set<string>();
    for (let seed = 0; seed < 64; seed++) for (const site of Object.keys(samplePlan(seed).sites)) kinds.add(site.split('.')[1]!);
    expect([...kinds].sort()).toEqual(['delay', 'drop', 'duplicate', 'reorder']);
    const withCrash = Array.from({ length: 64 }, (_, s) => samplePlan(s).enclaveCrash !== null).filter(Boolean).length;
    expect(withCrash).toBeGreaterThan(5);
    expect(withCrash).toBeLessThan(59);
  });
});

const siteArb = fc.constantFrom(
  'pipe.drop',
  'pipe.duplicate',
  'pipe.reorder',
  'pipe.delay',
  'pipe.drop.vsock',
  'pipe.duplicate.client',
  'pipe.reorder.kms-endpoint',
  'pipe.drop.client',
);
const planArb: fc.Arbitrary<SwarmPlan> = fc.record({
  sites: fc.dictionary(siteArb, fc.record({ numerator: fc.constant(1), denominator: fc.constantFrom(2, 4, 8) }), { maxKeys: 3 }),
  enclaveCrash: fc.option(fc.record({ atNs: fc.nat(15_000_000), restart: fc.boolean() }), { nil: null }),
  kmsOutage: fc.option(fc.record({ atNs: fc.nat(15_000_000), durationNs: fc.constantFrom(1_000_000, 3_000_000_000), mode: fc.constantFrom('refuse' as const, 'drop' as const) }), { nil: null }),
  proxyCrash: fc.option(fc.record({ atNs: fc.nat(15_000_000), downNs: fc.constantFrom(1_000_000, 1_000_000_000) }), { nil: null }),
});

describe('property: under any small fault plan the flow is right or typed-unavailable, never unsafe', () => {
  it('completes with output == reference or fails with a typed reason, and no safety invariant breaks', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, fc.nat(1000), async (plan, seed) => {
        const result = await runSeed(seed, { plan });
        expect(result.violations).toEqual([]);
        if (result.outcome === 'unavailable') expect(result.reason).toMatch(TYPED_REASON);
        else expect(result.reason).toBe('output == reference');
      }),
      { numRuns: 6, seed: 42 },
    );
  }, 60_000);
});
