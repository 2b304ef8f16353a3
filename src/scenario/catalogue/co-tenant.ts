import type { Scenario } from '../define.ts';
import ct01 from './co-tenant/ct-01.ts';
import ct02 from './co-tenant/ct-02.ts';
import ct03 from './co-tenant/ct-03.ts';

/** Scenarios of this group, in catalogue order. Each lives in its own file beside this one. CT-04 and CT-05 come with the fabric. */
export const scenarios: readonly Scenario<any>[] = [ct01, ct02, ct03];
