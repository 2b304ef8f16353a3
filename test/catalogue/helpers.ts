// The runner loop the catalogue suites share: each scenario of a group, run at one seed, must be blocked with its
// defence on and caught (leaked) as its negative control; each suite then checks its group's own evidence.
import { expect, it } from 'vitest';
import type { Scenario } from '../../src/scenario/define.ts';
import type { Principal } from '../../src/scenario/principals.ts';
import { runScenario, type RunRecord, type ScenarioResult } from '../../src/scenario/runner.ts';

/** A run's notes on one line ('' when there was no such run). */
export function notesOf(run: RunRecord | null): string {
  return run?.notes.join(' | ') ?? '';
}

/** The observations in `principal`'s own ledger that carry a canary. */
export function canaryHitsOf(run: RunRecord, principal: Principal): RunRecord['observations'][number][] {
  return run.observations.filter((o) => o.principal === principal && o.canaryHits.length > 0);
}

/**
 * One test per scenario: run at seed 1, it is blocked, its control leaked, and it passed; then `evidence` checks
 * what the group requires of the runs, with `why` (the reason and every note) as the failure message.
 */
export function eachBlockedAndCaught(
  scenarios: readonly Scenario<any>[],
  evidence: (scenario: Scenario<any>, result: ScenarioResult, why: string) => void,
  options: { readonly pending?: Readonly<Record<string, string>> } = {},
): void {
  for (const scenario of scenarios) {
    const test = options.pending?.[scenario.id] === undefined ? it : it.skip;
    test(`${scenario.id} ${scenario.name}: blocked, and caught with ${scenario.defence} off`, async () => {
      const result = await runScenario(scenario, { seed: 1 });
      const why = `${result.reason}\n defended notes: ${notesOf(result.runs.defended)}\n control: ${result.runs.control?.reason}\n control notes: ${notesOf(result.runs.control)}`;
      expect(result.outcome, why).toBe('blocked');
      expect(result.control, why).toBe('leaked');
      expect(result.passed, why).toBe(true);
      evidence(scenario, result, why);
    }, 60_000);
  }
}
