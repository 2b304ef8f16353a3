// Guided teaching demos: `nitro-emu demo --list` and `nitro-emu demo <name>`, each narrated step by step for a
// newcomer (what happens, who sees what, why it is safe or why it was stopped), built on the world flow, the
// catalogue's scenarios and the cluster; `--control` runs the same demo with its defence off.
export { GUIDED_DEMOS, findGuidedDemo, listGuidedDemos, reproduceCommand, runGuidedDemo } from './registry.ts';
export { GUIDED_STEPS_MAX, NARRATION_COLUMNS, collectSteps, formatVirtualTime, renderHeader, renderStep, renderVerdict, wrap } from './narration.ts';
export type { GuidedDemo, GuidedOutcome, GuidedResult, GuidedRunOptions, GuidedRunReport, GuidedStep, Narrator } from './types.ts';
