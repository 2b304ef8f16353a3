// Turning steps into text for a terminal: wrapped to a width a newcomer can read, labelled the same way in every demo.
import { assert } from '../errors.ts';
import type { GuidedResult, GuidedStep, Narrator } from './types.ts';

/** Columns of narration text (the label column included). */
export const NARRATION_COLUMNS = 100;
/** Bound on steps in one demo: narration for people, not a trace. */
export const GUIDED_STEPS_MAX = 32;
const NS_PER_MS = 1_000_000;

/** Collects the steps a demo narrates, numbering them and refusing runaway narration. */
export function collectSteps(onStep: (step: GuidedStep) => void = () => undefined): { steps: GuidedStep[]; say: Narrator } {
  const steps: GuidedStep[] = [];
  const say: Narrator = (text, vtNs) => {
    assert(steps.length < GUIDED_STEPS_MAX, `a guided demo narrates at most ${GUIDED_STEPS_MAX} steps`);
    const step: GuidedStep = { step: steps.length + 1, ...text, vtNs };
    steps.push(step);
    onStep(step);
  };
  return { steps, say };
}

/** Greedy word wrap; a word longer than the width gets a line of its own rather than being cut. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function labelled(label: string, text: string): string {
  const indent = ' '.repeat(label.length);
  return wrap(text, NARRATION_COLUMNS - label.length)
    .map((line, i) => `${i === 0 ? label : indent}${line}`)
    .join('\n');
}

export function formatVirtualTime(vtNs: number): string {
  return `${(vtNs / NS_PER_MS).toFixed(3)} ms`;
}

/** One step as the terminal shows it. */
export function renderStep(step: GuidedStep, total: number): string {
  const head = `Step ${step.step} of ${total}: ${step.title}`;
  const time = `[virtual time ${formatVirtualTime(step.vtNs)}]`;
  return [
    `${head}${' '.repeat(Math.max(2, NARRATION_COLUMNS - head.length - time.length))}${time}`,
    labelled('  What happens:  ', step.what),
    labelled('  Who sees what: ', step.who),
    labelled(`  ${step.why.startsWith('CONTROL') ? 'Without it:    ' : 'Why:           '}`, step.why.replace(/^CONTROL:\s*/, '')),
    '',
  ].join('\n');
}

/** The header before the first step: which demo, which world, and how to run it again. */
export function renderHeader(result: Pick<GuidedResult, 'demo' | 'title' | 'seed' | 'epochMs' | 'control' | 'defence' | 'reproduce'>): string {
  const mode = result.control
    ? `CONTROL run: the defence "${result.defence}" is switched OFF, to show what it prevents`
    : `defended run (add --control to switch "${result.defence}" off and see what it prevents)`;
  return `${result.title}\n${labelled('', mode)}\nseed ${result.seed}, epoch ${new Date(result.epochMs).toISOString()}; reproduce: ${result.reproduce}\n\n`;
}

/** The closing lines: the outcome against what the lesson expects. */
export function renderVerdict(result: GuidedResult): string {
  const lines = [
    labelled('Outcome: ', `${result.outcome.toUpperCase()}: ${result.reason}`),
    result.asExpected
      ? `This is what the lesson expects (${result.expected}).`
      : `NOT what the lesson expects (${result.expected}): something in the platform changed. Run again with --json to look closer.`,
  ];
  if (result.seeAlso.length > 0) lines.push(`Next: ${result.seeAlso.join('   ')}`);
  return `${lines.join('\n')}\n`;
}
