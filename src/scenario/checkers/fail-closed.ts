import type { CheckVerdict } from '../define.ts';
import type { CheckInput } from './input.ts';

/** INV-FAIL-CLOSED over what the scenario filed with `ctx.failClosed`: every failure typed, nothing changed. */
export function checkFailClosed(input: CheckInput): CheckVerdict[] {
  const records = input.records.failClosed;
  const bad = records.filter((r) => !r.typed || !r.stateUnchanged);
  if (bad.length > 0) {
    const what = bad
      .slice(0, 5)
      .map((r) => `${r.label}: ${!r.typed ? 'untyped failure' : 'state changed'} (${r.detail})`)
      .join('; ');
    return [{ invariant: 'INV-FAIL-CLOSED', held: false, detail: what }];
  }
  return [
    {
      invariant: 'INV-FAIL-CLOSED',
      held: true,
      detail: records.length === 0 ? 'held vacuously: no integrity failure was recorded' : `${records.length} integrity failures, all typed, no state changed`,
    },
  ];
}
