import type { Scenario } from '../define.ts';
import op01 from './operator/op-01.ts';
import op02 from './operator/op-02.ts';
import op03 from './operator/op-03.ts';
import op04 from './operator/op-04.ts';
import op05 from './operator/op-05.ts';
import op06 from './operator/op-06.ts';
import op07 from './operator/op-07.ts';
import op08 from './operator/op-08.ts';
import op09 from './operator/op-09.ts';
import op10 from './operator/op-10.ts';
import op11 from './operator/op-11.ts';

/** Scenarios of this group, in catalogue order. Each lives in its own file beside this one. */
export const scenarios: readonly Scenario<any>[] = [op01, op02, op03, op04, op05, op06, op07, op08, op09, op10, op11];
