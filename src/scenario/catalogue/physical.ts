import type { Scenario } from '../define.ts';
import phy01 from './physical/phy-01.ts';

/**
 * Physical attacks are out of scope for a software emulator (docs/physical-attacks.md); this group holds one
 * teaching scenario that simulates their consequence.
 */
export const scenarios: readonly Scenario<any>[] = [phy01];
