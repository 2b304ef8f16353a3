import type { Principal, RunRecord, ScenarioResult } from '../scenario/index.ts';
import type { FlowReport, World } from '../world/index.ts';
import { formatMs } from './format.ts';
import { buildRun } from './model.ts';
import type { TracePage, TraceRun } from './types.ts';

function canaryOwners(world: World): Map<string, Principal> {
  return new Map(world.ledger.canaries.all.map((c) => [c.name, c.owner]));
}

function defencesOffText(off: readonly string[]): string {
  return off.length === 0 ? 'every defence on' : `defences OFF: ${off.join(', ')}`;
}

/** The demo's flow: its steps as dividers, its invariants as the verdicts. */
export function flowTracePage(world: World, report: FlowReport): TracePage {
  const off = Object.entries(world.defences).filter(([, on]) => !on).map(([name]) => name);
  const held = Object.values(report.invariants).every((v) => v.held);
  const run = buildRun({
    heading: `Single-host flow, seed ${report.seed}`,
    summary: `${held ? 'every invariant held' : 'an invariant was VIOLATED'}; ${defencesOffText(off)}${world.options.debugMode ? '; debug-mode enclave' : ''}; virtual time ${formatMs(report.virtualTimeNs)}; trace digest ${report.digest}`,
    messages: world.messages.events,
    observations: world.ledger.observations,
    canaryOwners: canaryOwners(world),
    verdicts: Object.entries(report.invariants).map(([invariant, v]) => ({ invariant, held: v.held, detail: v.detail })),
    marks: report.steps.map((s) => ({ timeNs: s.timeNs, title: `${s.step}. ${s.title}` })),
    trace: world.sim.trace.events,
  });
  return {
    title: 'nitro-emu demo — who sent what, and who could read it',
    subtitle: `seed ${report.seed}, epoch ${new Date(report.epochMs).toISOString()}; reproduce: nitro-emu demo --seed ${report.seed} --epoch ${report.epochMs}`,
    runs: [run],
  };
}

/** One scenario run as captured when it ended (the world it ran in, and the runner's record of it). */
export interface ScenarioRunCapture {
  readonly world: World;
  readonly record: RunRecord;
  /** Hosts in the run when it was a cluster's (the page draws host 0's world). */
  readonly hosts?: number;
}

function scenarioRun(capture: ScenarioRunCapture): TraceRun {
  const { record, world } = capture;
  const label = record.defended ? 'Defended run' : `Negative control (${defencesOffText(record.defencesOff)})`;
  return buildRun({
    heading: `${label}: ${record.outcome}`,
    summary: `${record.reason}${capture.hosts !== undefined && capture.hosts > 1 ? `; a ${capture.hosts}-host cluster: host 0's world is drawn, the fabric's frames are in the ledgers` : ''}; virtual time ${formatMs(record.virtualTimeNs)}; trace digest ${record.digest}`,
    messages: world.messages.events,
    observations: world.ledger.observations,
    canaryOwners: canaryOwners(world),
    verdicts: record.verdicts.map((v) => ({ invariant: v.invariant, held: v.held, detail: v.detail })),
    marks: [],
    trace: world.sim.trace.events,
    notes: record.notes,
    refusal: record.refusal === null ? null : { code: record.refusal, reason: record.reason, timeNs: record.virtualTimeNs },
  });
}

/** A scenario's page: the defended run (where the attack was stopped) above its negative control. */
export function scenarioTracePage(result: ScenarioResult, defended: ScenarioRunCapture, control: ScenarioRunCapture | null): TracePage {
  return {
    title: `nitro-emu scenario ${result.id} — ${result.title}`,
    subtitle: `attacker: ${result.attacker}; expect: ${result.expect}; ${result.passed ? 'PASSED' : 'FAILED'}: ${result.reason}; reproduce: nitro-emu scenario run ${result.id} --seed ${result.seed}`,
    runs: [scenarioRun(defended), ...(control === null ? [] : [scenarioRun(control)])],
  };
}
