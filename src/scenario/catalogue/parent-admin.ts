import type { Scenario } from '../define.ts';

/** Scenarios of this group, in catalogue order. Each lives in its own file beside this one. */
export const scenarios: readonly Scenario<any>[] = [];
