import type { Scenario } from '../define.ts';
import ct01 from './co-tenant/ct-01.ts';
import ct02 from './co-tenant/ct-02.ts';

/** Scenarios of this group, in catalogue order. Each lives in its own file beside this one. CT-03…CT-05 come with the accelerator and fabric. */
export const scenarios: readonly Scenario<any>[] = [ct01, ct02];
