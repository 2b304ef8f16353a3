// A guided demo built on one catalogue scenario: the scenario runs once (defended, or as its negative control) in
// the runner, and the lesson tells its setting, the attack and what happened, from the run's notes and verdicts.
import { EmuError, assert } from '../errors.ts';
import { runScenarioOnce, type RunRecord, type Scenario } from '../scenario/index.ts';
import type { GuidedDemo, GuidedOutcome, GuidedRunOptions, GuidedRunReport, GuidedStep, Narrator } from './types.ts';

export type StepText = Omit<GuidedStep, 'step' | 'vtNs'>;

export interface Lesson {
  readonly id: string;
  readonly title: string;
  readonly scenarioId: string;
  /** The scenario's defence: the switch --control turns off (checked against the catalogue when the lesson runs). */
  readonly defence: GuidedDemo['defence'];
  /** How the defended run ends when the scenario is blocked. */
  readonly blockedAs: Exclude<GuidedOutcome, 'leaked' | 'error'>;
  readonly seeAlso: readonly string[];
  /** The stage before the attack (told at virtual time 0: nothing has happened yet). */
  readonly setting: readonly StepText[];
  /** The attack, and what this run's notes say it did. */
  attack(run: LessonRun): StepText;
  /** What stopped it (defended) or what got through (control). */
  result(run: LessonRun): StepText;
  /** The note that says why the defended run was refused, for the one-line reason. */
  readonly reasonNote: RegExp;
}

export interface LessonRun {
  readonly record: RunRecord;
  readonly scenario: Scenario<any>;
  readonly control: boolean;
  /** The run's notes joined for reading, or a sentence saying there were none. */
  readonly notes: string;
}

function findScenario(options: GuidedRunOptions, id: string): Scenario<any> {
  const scenario = options.catalogue?.find((s) => s.id === id);
  if (scenario === undefined) throw new EmuError('GUIDED_NO_SCENARIO', `this demo needs catalogue scenario ${id}; pass the catalogue in the run options`);
  return scenario;
}

/** The principal's ledger in one line: how much it obtained, and which canaries were in it. */
function holdings(record: RunRecord, principal: string): string {
  const summary = record.ledger[principal];
  if (summary === undefined) return `the ${principal} obtained nothing`;
  const canaries = summary.canariesSeen.length === 0 ? 'no canary' : `canaries ${summary.canariesSeen.join(', ')}`;
  return `the ${principal} obtained ${summary.observations} items (${summary.bytes} bytes) through ${summary.channels.length} channels: ${canaries}`;
}

function outcomeOf(lesson: Lesson, record: RunRecord): { outcome: GuidedOutcome; reason: string } {
  if (record.outcome === 'leaked') return { outcome: 'leaked', reason: record.reason };
  if (record.outcome === 'error') return { outcome: 'error', reason: record.reason };
  const note = record.notes.find((n) => lesson.reasonNote.test(n));
  return { outcome: lesson.blockedAs, reason: note === undefined ? record.reason : `${note}; ${record.reason}` };
}

async function runLesson(lesson: Lesson, options: GuidedRunOptions, say: Narrator): Promise<GuidedRunReport> {
  const scenario = findScenario(options, lesson.scenarioId);
  // The control must switch off what the scenario's own control does, or the lesson would show something else.
  assert(scenario.defence === lesson.defence, `lesson ${lesson.id}: scenario ${scenario.id}'s defence is ${String(scenario.defence)}, not ${lesson.defence}`);
  const record = await runScenarioOnce(scenario, {
    seed: options.seed,
    defended: !options.control,
    ...(options.log === undefined ? {} : { log: () => options.log! }),
  });
  const run: LessonRun = { record, scenario, control: options.control, notes: record.notes.length === 0 ? 'the run left no notes' : record.notes.join('; ') };
  for (const text of lesson.setting) say(text, 0);
  say(lesson.attack(run), record.virtualTimeNs);
  say(lesson.result(run), record.virtualTimeNs);
  const broken = record.verdicts.filter((v) => !v.held);
  const checked = [...new Set(record.verdicts.map((v) => v.invariant))];
  say(
    {
      title: 'What the checkers say',
      what: `After the run, the checkers look at everything that happened: ${checked.join(', ')}. Each secret carries a canary pattern, and every byte anyone obtained is in the ledger, so a leak cannot hide.`,
      who: `${holdings(record, scenario.attacker)}.`,
      why:
        broken.length === 0
          ? `Every invariant held${record.refusal === null ? '' : `; the attack ended with the typed error ${record.refusal}`}.`
          : `CONTROL: ${broken.map((v) => `${v.invariant}: ${v.detail}`).join(' | ')}`,
    },
    record.virtualTimeNs,
  );
  return { ...outcomeOf(lesson, record), digest: record.digest, virtualTimeNs: record.virtualTimeNs };
}

/** A GuidedDemo told from the lesson's catalogue scenario. */
export function lessonDemo(lesson: Lesson): GuidedDemo {
  return {
    id: lesson.id,
    title: lesson.title,
    defence: lesson.defence,
    expect: { defended: lesson.blockedAs, control: 'leaked' },
    seeAlso: lesson.seeAlso,
    run: (options, say) => runLesson(lesson, options, say),
  };
}
