import type { Scenario } from '../define.ts';
import pa06 from './parent-admin/pa-06.ts';
import pa07 from './parent-admin/pa-07.ts';
import pa08 from './parent-admin/pa-08.ts';
import pa16 from './parent-admin/pa-16.ts';

/** Scenarios of this group, in catalogue order. Each lives in its own file beside this one. */
export const scenarios: readonly Scenario<any>[] = [pa06, pa07, pa08, pa16];
