import { isEmuError } from '../errors.ts';
import { World } from '../world/index.ts';
import { createCluster, type NitroCluster } from '../cluster/index.ts';
import { clusterDigest, mergedLedgerSummary, mergedObservations, runClusterCheckers } from './cluster-run.ts';
import type { LogSink } from '../sim/index.ts';
import { createContext } from './context.ts';
import type { CheckVerdict, DefenceName, Scenario } from './define.ts';
import type { PrincipalSummary } from './ledger.ts';
import type { Principal } from './principals.ts';

export type RunOutcome = 'blocked' | 'leaked' | 'error';

/** One ledger entry as reports carry it: never the bytes. */
export interface ObservationDigest {
  readonly principal: Principal;
  readonly channel: string;
  readonly size: number;
  readonly sha256: string;
  readonly canaryHits: ReadonlyArray<{ readonly canary: string; readonly encoding: string }>;
}

/** One run of a scenario (defended, or the negative control) and what the checkers said about it. */
export interface RunRecord {
  readonly defended: boolean;
  /** The defences this run turned off (empty when defended). */
  readonly defencesOff: readonly DefenceName[];
  readonly outcome: RunOutcome;
  readonly reason: string;
  /** The code of the typed error that ended the attack, if the platform refused it. */
  readonly refusal: string | null;
  readonly verdicts: readonly CheckVerdict[];
  readonly notes: readonly string[];
  readonly ledger: Readonly<Record<string, PrincipalSummary>>;
  readonly observations: readonly ObservationDigest[];
  /** The simulator's trace digest at the end of the run (same seed, same digest); a cluster's covers every host and the fabric. */
  readonly digest: string;
  readonly virtualTimeNs: number;
}

export interface ScenarioResult {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly attacker: Principal;
  readonly expect: 'blocked' | 'succeeds';
  readonly defence: DefenceName | null;
  readonly seed: number;
  readonly outcome: RunOutcome;
  readonly control: RunOutcome | null;
  readonly passed: boolean;
  /** Why, in one line. */
  readonly reason: string;
  readonly runs: { readonly defended: RunRecord; readonly control: RunRecord | null };
}

export interface RunOptions {
  readonly seed: number;
  /**
   * Where each run's world logs its trace (pino lines with virtual time); asked once per run so the lines can say
   * which run they belong to. Cluster scenarios do not log (their worlds are built by src/cluster).
   */
  readonly log?: (run: { readonly scenario: string; readonly defended: boolean }) => LogSink;
  /** Called as each run ends with the worlds it ran in (the trace page draws their messages and ledgers). */
  readonly onRun?: (run: { readonly record: RunRecord; readonly worlds: readonly World[] }) => void;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
const messageOf = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** Runs setup → attack inside the simulator, then every checker and the scenario's own check. */
async function runOnce(scenario: Scenario<any>, seed: number, defended: boolean, log?: RunOptions['log'], onRun?: RunOptions['onRun']): Promise<RunRecord> {
  const defencesOff: DefenceName[] = [
    ...(scenario.baselineDefencesOff ?? []),
    ...(defended || scenario.defence === null ? [] : [scenario.defence]),
  ];
  const defences = Object.fromEntries(defencesOff.map((d) => [d, false]));
  // A cluster scenario runs on rank 0's world; every member's world is checked (cluster-run.ts).
  const cluster: NitroCluster | undefined = scenario.cluster === undefined ? undefined : createCluster({ ...scenario.cluster, seed, defences });
  const sink = cluster === undefined ? log?.({ scenario: scenario.id, defended }) : undefined;
  const world = cluster === undefined ? new World({ ...scenario.world, seed, defences, ...(sink === undefined ? {} : { log: sink }) }) : cluster.members[0]!.world;
  const worlds = cluster === undefined ? [world] : cluster.members.map((m) => m.world);
  let thrown: { error: unknown } | undefined;
  let state: unknown;
  let setupDone = false;
  let notes: string[] = [];
  let verdicts: CheckVerdict[] = [];
  const failedCheckers: string[] = [];
  const decisive: CheckVerdict[] = [];
  try {
    const run = createContext(world, scenario, defended, cluster);
    notes = run.notes;
    try {
      const flow = (async () => {
        state = await scenario.setup?.(run.ctx);
        setupDone = true;
        await scenario.attack(run.ctx, state);
      })();
      // A cluster drives its hosts' simulators itself (one per world; rank 0's alone would stall while another runs).
      await (cluster === undefined ? world.sim.runUntil(flow) : flow);
    } catch (error) {
      thrown = { error };
    }
    const global = runClusterCheckers(worlds, run.records);
    verdicts = global.verdicts;
    failedCheckers.push(...global.failed);
    const relevant = new Set<string>(['INV-NO-CANARY', ...scenario.invariants]);
    decisive.push(...verdicts.filter((v) => !v.held && relevant.has(v.invariant)));
    if (scenario.check !== undefined && setupDone) {
      try {
        const own = scenario.check(run.ctx, state);
        verdicts.push(...own);
        // The scenario's own checks are about its attack: any violation they report decides.
        decisive.push(...own.filter((v) => !v.held));
      } catch (error) {
        failedCheckers.push('scenario.check');
        verdicts.push({ invariant: 'SCENARIO-CHECK', held: false, detail: `checker could not run: ${messageOf(error)}` });
      }
    }
  } catch (error) {
    // The context itself could not be built (a capability failed): the run says so instead of passing.
    thrown = { error };
    failedCheckers.push('context');
  }

  let outcome: RunOutcome;
  let reason: string;
  const refusal = thrown !== undefined && isEmuError(thrown.error) ? thrown.error.code : null;
  if (thrown !== undefined && !isEmuError(thrown.error)) {
    outcome = 'error';
    reason = `the run threw ${messageOf(thrown.error)}`;
  } else if (failedCheckers.length > 0) {
    outcome = 'error';
    const first = verdicts.find((v) => v.detail.startsWith('checker could not run'));
    reason = `${failedCheckers.join(', ')} could not run${first ? `: ${first.detail}` : thrown ? `: ${messageOf(thrown.error)}` : ''}`;
  } else if (decisive.length > 0) {
    outcome = 'leaked';
    const first = decisive[0] as CheckVerdict;
    reason = `${first.invariant} violated: ${first.detail}${decisive.length > 1 ? ` (+${decisive.length - 1} more violations)` : ''}`;
  } else {
    outcome = 'blocked';
    const checked = verdicts.filter((v) => v.invariant === 'INV-NO-CANARY' || scenario.invariants.includes(v.invariant as never)).map((v) => v.invariant);
    const held = `no checker saw a violation (${[...new Set(checked)].join(', ')} held)`;
    reason = thrown !== undefined ? `refused with ${messageOf(thrown.error).replace(/^EmuError: /, '')}; ${held}` : held;
  }
  const record: RunRecord = {
    defended,
    defencesOff,
    outcome,
    reason: oneLine(reason),
    refusal,
    verdicts: verdicts.map((v) => ({ ...v, detail: oneLine(v.detail) })),
    notes,
    ledger: mergedLedgerSummary(worlds),
    observations: mergedObservations(worlds).map((o) => ({ principal: o.principal, channel: o.channel, size: o.size, sha256: o.sha256, canaryHits: o.canaryHits })),
    digest: cluster === undefined ? world.sim.digest() : clusterDigest(cluster),
    virtualTimeNs: world.sim.nowNs,
  };
  onRun?.({ record, worlds });
  return record;
}

function judge(scenario: Scenario<any>, defended: RunRecord, control: RunRecord | null): { passed: boolean; reason: string } {
  if (scenario.expect === 'succeeds') {
    if (defended.outcome === 'leaked') return { passed: true, reason: `succeeds as taught: ${defended.reason}` };
    return { passed: false, reason: `expected the attack to succeed, but the run was ${defended.outcome}: ${defended.reason}` };
  }
  if (defended.outcome !== 'blocked') return { passed: false, reason: `defended run ${defended.outcome}: ${defended.reason}` };
  const off = `${scenario.defence ?? '?'} off`;
  if (control === null) return { passed: false, reason: 'no control run' };
  if (control.outcome === 'error') return { passed: false, reason: `control (${off}) error: ${control.reason}` };
  if (control.outcome === 'blocked') {
    return { passed: false, reason: `control (${off}) was not caught: the checkers saw nothing — ${control.reason}` };
  }
  return { passed: true, reason: `defended: ${defended.reason}; control (${off}) caught: ${control.reason}` };
}

/**
 * Runs a scenario defended and, for `expect: 'blocked'`, again as its negative control with its
 * defence off, each in a fresh world from the same seed. The same seed gives the same result.
 */
export async function runScenario(scenario: Scenario<any>, options: RunOptions): Promise<ScenarioResult> {
  const defended = await runOnce(scenario, options.seed, true, options.log, options.onRun);
  const control = scenario.expect === 'blocked' ? await runOnce(scenario, options.seed, false, options.log, options.onRun) : null;
  const { passed, reason } = judge(scenario, defended, control);
  return {
    id: scenario.id,
    name: scenario.name,
    title: scenario.title,
    attacker: scenario.attacker,
    expect: scenario.expect,
    defence: scenario.defence,
    seed: options.seed,
    outcome: defended.outcome,
    control: control?.outcome ?? null,
    passed,
    reason: oneLine(reason),
    runs: { defended, control },
  };
}

/** One run only: defended, or the negative control with the scenario's defence off (guided demos show one at a time). */
export function runScenarioOnce(scenario: Scenario<any>, options: RunOptions & { readonly defended: boolean }): Promise<RunRecord> {
  return runOnce(scenario, options.seed, options.defended, options.log, options.onRun);
}

/** Runs scenarios one after another, in the order given. */
export async function runScenarios(list: readonly Scenario<any>[], options: RunOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of list) results.push(await runScenario(scenario, options));
  return results;
}
