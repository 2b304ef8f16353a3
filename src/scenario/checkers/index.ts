import type { CheckVerdict, InvariantName } from '../define.ts';
import { checkAudit } from './audit.ts';
import { checkDelivery } from './delivery.ts';
import { checkFailClosed } from './fail-closed.ts';
import { checkFresh } from './fresh.ts';
import type { CheckInput } from './input.ts';
import { checkKeysAttested } from './keys-attested.ts';
import { checkLink } from './link.ts';
import { checkNoCanary } from './no-canary.ts';
import { checkScrub } from './scrub.ts';

export type Checker = (input: CheckInput) => CheckVerdict[];

/** One checker per invariant of DESIGN.md, in a fixed order (reports and digests depend on it). */
export const CHECKERS: ReadonlyArray<{ readonly invariant: InvariantName; readonly check: Checker }> = [
  { invariant: 'INV-NO-CANARY', check: checkNoCanary },
  { invariant: 'INV-KEYS-ATTESTED', check: checkKeysAttested },
  { invariant: 'INV-LINK', check: checkLink },
  { invariant: 'INV-FAIL-CLOSED', check: checkFailClosed },
  { invariant: 'INV-AUDIT', check: checkAudit },
  { invariant: 'INV-FRESH', check: checkFresh },
  { invariant: 'INV-SCRUB', check: checkScrub },
  { invariant: 'INV-DELIVERY', check: checkDelivery },
];

/**
 * Runs every checker. A checker that throws does not hide the others: its verdict says it could not
 * run, and `failed` names it so the caller can report an error rather than a pass.
 */
export function runCheckers(input: CheckInput): { verdicts: CheckVerdict[]; failed: string[] } {
  const verdicts: CheckVerdict[] = [];
  const failed: string[] = [];
  for (const { invariant, check } of CHECKERS) {
    try {
      verdicts.push(...check(input));
    } catch (error) {
      failed.push(invariant);
      verdicts.push({ invariant, held: false, detail: `checker could not run: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return { verdicts, failed };
}

export { checkAudit, checkDelivery, checkFailClosed, checkFresh, checkKeysAttested, checkLink, checkNoCanary, checkScrub };
export { describeLeak } from './no-canary.ts';
export type { CheckInput, CheckedWorld } from './input.ts';
export { emptyRecords, RECORDS_MAX, type DeliveryEvent, type FailClosedRecord, type LinkEvent, type ScenarioRecords } from './records.ts';
