import type { CheckVerdict } from '../define.ts';
import type { CheckInput } from './input.ts';

/** INV-DELIVERY over delivery events filed with `ctx.recordDelivery`: exactly once and intact, or a typed error. */
export function checkDelivery(input: CheckInput): CheckVerdict[] {
  const events = input.records.deliveries;
  if (events.length === 0) {
    return [{ invariant: 'INV-DELIVERY', held: true, detail: 'held vacuously: no fabric deliveries recorded (the fabric files them via ctx.recordDelivery)' }];
  }
  const bad = events.filter((e) => e.deliveredCorrupt > 0 || (e.typedError === null ? e.deliveredIntact !== 1 : e.deliveredIntact > 1));
  if (bad.length > 0) {
    const what = bad
      .slice(0, 5)
      .map((e) => `message ${e.messageId}: ${e.deliveredIntact} intact, ${e.deliveredCorrupt} corrupt deliveries${e.typedError ? `, error ${e.typedError}` : ', no error'}`)
      .join('; ');
    return [{ invariant: 'INV-DELIVERY', held: false, detail: what }];
  }
  return [{ invariant: 'INV-DELIVERY', held: true, detail: `${events.length} messages delivered exactly once intact, or reported with a typed error` }];
}
