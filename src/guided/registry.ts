// The named demos of `nitro-emu demo <name>`, and running one: steps numbered and timed, the outcome judged
// against what the lesson expects (defended, or as the control with the demo's defence off).
import { EmuError } from '../errors.ts';
import { fabricEavesdropper } from './fabric-demo.ts';
import { debugEnclaveDenied, happyPath } from './flow-demos.ts';
import { collectSteps } from './narration.ts';
import { modifiedImageDenied, replayedAttestation, tamperedBounceBuffer } from './scenario-demos.ts';
import type { GuidedDemo, GuidedResult, GuidedRunOptions, GuidedStep } from './types.ts';

/** In the order a newcomer should meet them: the flow, then one attack per boundary. */
export const GUIDED_DEMOS: readonly GuidedDemo[] = [happyPath, debugEnclaveDenied, modifiedImageDenied, replayedAttestation, tamperedBounceBuffer, fabricEavesdropper];

export function findGuidedDemo(name: string): GuidedDemo | undefined {
  return GUIDED_DEMOS.find((d) => d.id === name);
}

/** The one-line list `demo --list` prints. */
export function listGuidedDemos(): Array<{ id: string; title: string }> {
  return GUIDED_DEMOS.map((d) => ({ id: d.id, title: d.title }));
}

/** The command line that runs the same demo again. */
export function reproduceCommand(demo: GuidedDemo, options: Pick<GuidedRunOptions, 'seed' | 'epochMs' | 'control'>): string {
  return `nitro-emu demo ${demo.id} --seed ${options.seed} --epoch ${options.epochMs}${options.control ? ' --control' : ''}`;
}

/** Runs a demo to its end; `onStep` hears each step as it is narrated (for logs), the result holds them all. */
export async function runGuidedDemo(name: string, options: GuidedRunOptions, onStep?: (step: GuidedStep) => void): Promise<GuidedResult> {
  const demo = findGuidedDemo(name);
  if (demo === undefined) throw new EmuError('GUIDED_UNKNOWN_DEMO', `no demo ${JSON.stringify(name)}; known: ${GUIDED_DEMOS.map((d) => d.id).join(', ')}`);
  const { steps, say } = collectSteps(onStep);
  const report = await demo.run(options, say);
  const expected = options.control ? demo.expect.control : demo.expect.defended;
  return {
    demo: demo.id,
    title: demo.title,
    seed: options.seed,
    epochMs: options.epochMs,
    control: options.control,
    defence: demo.defence,
    outcome: report.outcome,
    expected,
    asExpected: report.outcome === expected,
    reason: report.reason,
    steps,
    digest: report.digest,
    virtualTimeNs: report.virtualTimeNs,
    reproduce: reproduceCommand(demo, options),
    seeAlso: demo.seeAlso,
  };
}
