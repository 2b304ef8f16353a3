import type { Scenario } from '../define.ts';
import pa01 from './parent-admin/pa-01.ts';
import pa02 from './parent-admin/pa-02.ts';
import pa03 from './parent-admin/pa-03.ts';
import pa04 from './parent-admin/pa-04.ts';
import pa05 from './parent-admin/pa-05.ts';
import pa06 from './parent-admin/pa-06.ts';
import pa07 from './parent-admin/pa-07.ts';
import pa08 from './parent-admin/pa-08.ts';
import pa09 from './parent-admin/pa-09.ts';
import pa10 from './parent-admin/pa-10.ts';
import pa11 from './parent-admin/pa-11.ts';
import pa12 from './parent-admin/pa-12.ts';
import pa13 from './parent-admin/pa-13.ts';
import pa14 from './parent-admin/pa-14.ts';
import pa15 from './parent-admin/pa-15.ts';
import pa16 from './parent-admin/pa-16.ts';
import pa17 from './parent-admin/pa-17.ts';
import pa18 from './parent-admin/pa-18.ts';
import pa19 from './parent-admin/pa-19.ts';

/**
 * Scenarios of this group, in catalogue order. Each lives in its own file beside this one.
 */
export const scenarios: readonly Scenario<any>[] = [pa01, pa02, pa03, pa04, pa05, pa06, pa07, pa08, pa09, pa10, pa11, pa12, pa13, pa14, pa15, pa16, pa17, pa18, pa19];
