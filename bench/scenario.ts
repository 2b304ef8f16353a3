import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileYamlScenario, runScenario, type Scenario } from '../src/scenario/index.ts';
import { World, runFlow } from '../src/world/index.ts';
import type { BenchResult } from './types.ts';

/** A fixed set, independent of how the catalogue grows: the two shipped teaching scripts (each defended + control). */
function fixedSet(): Scenario<any>[] {
  return ['debug-enclave-gets-no-key.yaml', 'parent-decrypts-without-attestation.yaml'].map((name) => {
    const path = fileURLToPath(new URL(`../scenarios/${name}`, import.meta.url));
    return compileYamlScenario(readFileSync(path, 'utf8'), path);
  });
}

/**
 * Scenarios per second (defended run + negative control, checkers included) over a fixed set. The
 * ceiling is full demo flows per second measured in the same run, interleaved: a scenario builds two
 * worlds and runs every checker, a flow one world, so the ratio shows the engine's overhead. No bar.
 */
export async function benchScenarioRate(budgetMs: number): Promise<BenchResult> {
  const scenarios = fixedSet();
  let seed = 1;
  const scenario = async () => {
    for (const s of scenarios) await runScenario(s, { seed: seed++ });
    return scenarios.length;
  };
  const flow = async () => {
    await runFlow(new World({ seed: seed++ }));
    return 1;
  };
  await scenario();
  await flow();
  const totals = { scenario: { ops: 0, ms: 0 }, flow: { ops: 0, ms: 0 } };
  const rounds = 2;
  const slice = budgetMs / (2 * rounds);
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of [['scenario', scenario], ['flow', flow]] as const) {
      const start = performance.now();
      let now = start;
      // At least one op per slice: one scenario is slower than a small budget.
      do {
        totals[name].ops += await fn();
        now = performance.now();
      } while (now - start < slice);
      totals[name].ms += now - start;
    }
  }
  const value = (totals.scenario.ops * 1000) / totals.scenario.ms;
  const ceiling = (totals.flow.ops * 1000) / totals.flow.ms;
  return {
    name: 'scenario-rate',
    value,
    unit: 'scenarios/s',
    ceiling,
    ceilingMeaning: 'demo flows/s (runFlow, one world) in the same run; a scenario is two worlds plus all checkers',
    ratio: value / ceiling,
  };
}
