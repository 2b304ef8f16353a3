import type { Scenario } from '../define.ts';
import rb01 from './rollback/rb-01.ts';
import rb02 from './rollback/rb-02.ts';
import rb03 from './rollback/rb-03.ts';
import rb04 from './rollback/rb-04.ts';
import rb05 from './rollback/rb-05.ts';

/** Scenarios of this group, in catalogue order. Each lives in its own file beside this one. */
export const scenarios: readonly Scenario<any>[] = [rb01, rb02, rb03, rb04, rb05];
