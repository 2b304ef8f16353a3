import type { CheckVerdict } from '../define.ts';
import { findLeaks, type Leak } from '../leak-check.ts';
import type { CheckInput } from './input.ts';

/** Bound on leaks named in one detail line; the rest are counted. */
const LEAKS_NAMED_MAX = 5;

export function describeLeak(leak: Leak): string {
  return `${leak.canary} (${leak.canaryOwner}'s) seen by ${leak.principal} via ${leak.channel} as ${leak.encoding}`;
}

/** INV-NO-CANARY: the canary scanner over every non-TCB ledger (plaintext, hex, base64). */
export function checkNoCanary(input: CheckInput): CheckVerdict[] {
  const { ledger } = input.world;
  const leaks = findLeaks(ledger);
  if (leaks.length === 0) {
    return [{ invariant: 'INV-NO-CANARY', held: true, detail: `no canary in any non-TCB ledger (${ledger.observations.length} observations scanned)` }];
  }
  const named = leaks.slice(0, LEAKS_NAMED_MAX).map(describeLeak).join('; ');
  const more = leaks.length > LEAKS_NAMED_MAX ? ` (and ${leaks.length - LEAKS_NAMED_MAX} more)` : '';
  return [{ invariant: 'INV-NO-CANARY', held: false, detail: named + more }];
}
