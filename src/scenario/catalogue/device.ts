import type { Scenario } from '../define.ts';
import dev01 from './device/dev-01.ts';
import dev02 from './device/dev-02.ts';
import dev03, { devtoolsTrainium } from './device/dev-03.ts';
import dev04 from './device/dev-04.ts';
import dev05 from './device/dev-05.ts';
import dev07 from './device/dev-07.ts';

/** Scenarios of the accelerator group (research/attacks.md DEV rows), in catalogue order; one file each beside this one. */
export const scenarios: readonly Scenario<any>[] = [dev01, dev02, dev03, devtoolsTrainium, dev04, dev05, dev07];
