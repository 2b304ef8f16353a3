// Steps shared by the attack groups (parent-admin, operator, …). Nothing here touches a TCB object.
import { isEmuError } from '../../errors.ts';
import type { ScenarioContext } from '../define.ts';

/** Runs a step that may fail with a typed error (the defence working); the failure is noted, not thrown. */
export function tryTyped<T>(ctx: ScenarioContext, what: string, step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    if (!isEmuError(error)) throw error;
    ctx.note(`${what}: ${error.code}`);
    return undefined;
  }
}
