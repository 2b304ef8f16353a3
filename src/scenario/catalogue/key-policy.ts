import type { Scenario } from '../define.ts';
import kp01 from './key-policy/kp-01.ts';
import kp02 from './key-policy/kp-02.ts';
import kp03 from './key-policy/kp-03.ts';
import kp04 from './key-policy/kp-04.ts';
import kp05 from './key-policy/kp-05.ts';
import kp06 from './key-policy/kp-06.ts';
import kp07 from './key-policy/kp-07.ts';

/** Scenarios of this group, in catalogue order. Each lives in its own file beside this one. */
export const scenarios: readonly Scenario<any>[] = [kp01, kp02, kp03, kp04, kp05, kp06, kp07];
