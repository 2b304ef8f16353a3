import { runSeed } from '../src/scenario/swarm/index.ts';
import { World, runFlow } from '../src/world/index.ts';
import type { BenchResult } from './types.ts';

/**
 * Swarm seeds per second in one thread (a seed: its sampled fault plan, the supervised flow with its
 * relaunches and retries, every invariant). The ceiling is fault-free demo flows per second measured
 * in the same run, interleaved: a seed runs the same flow (the enclave's RSA key generation dominates
 * both), so the ratio is about 1 and falls with the faults' extra launches and retries; seeds differ in
 * plan, so the ratio is noisy over a short budget. `nitro-emu swarm` then spreads seeds over two threads.
 */
export async function benchSwarmRate(budgetMs: number): Promise<BenchResult> {
  let seed = 1;
  const swarm = async () => {
    await runSeed(seed++);
  };
  const flow = async () => {
    await runFlow(new World({ seed: seed++ }));
  };
  await swarm();
  await flow();
  const totals = { swarm: { ops: 0, ms: 0 }, flow: { ops: 0, ms: 0 } };
  const rounds = 2;
  const slice = budgetMs / (2 * rounds);
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of [['swarm', swarm], ['flow', flow]] as const) {
      const start = performance.now();
      let now = start;
      // At least one op per slice: one seed can take longer than a small budget's slice.
      do {
        await fn();
        totals[name].ops++;
        now = performance.now();
      } while (now - start < slice);
      totals[name].ms += now - start;
    }
  }
  const value = (totals.swarm.ops * 1000) / totals.swarm.ms;
  const ceiling = (totals.flow.ops * 1000) / totals.flow.ms;
  return {
    name: 'swarm-rate',
    value,
    unit: 'seeds/s',
    ceiling,
    ceilingMeaning: 'fault-free runFlow runs/s in the same run, one thread (a seed wraps one flow, plus relaunches and retries)',
    ratio: value / ceiling,
  };
}
