import type { CheckVerdict } from '../define.ts';
import type { CheckInput } from './input.ts';

/**
 * INV-LINK over link events filed with `ctx.recordLink`: every message protected; nothing but genuine
 * messages accepted; no (key, IV) pair used twice. With no events it holds vacuously and says so.
 */
export function checkLink(input: CheckInput): CheckVerdict[] {
  const events = input.records.links;
  const verdict = (held: boolean, detail: string): CheckVerdict[] => [{ invariant: 'INV-LINK', held, detail }];
  if (events.length === 0) return verdict(true, 'held vacuously: no link events recorded (the fabric and accelerator links file them via ctx.recordLink)');
  const unprotected = events.find((e) => !e.protected);
  if (unprotected !== undefined) return verdict(false, `link ${unprotected.link} carried an unprotected message${unprotected.detail ? ` (${unprotected.detail})` : ''}`);
  const forged = events.find((e) => e.kind !== 'genuine' && e.accepted);
  if (forged !== undefined) return verdict(false, `link ${forged.link} accepted a ${forged.kind} message${forged.detail ? ` (${forged.detail})` : ''}`);
  const seen = new Set<string>();
  for (const event of events) {
    if (event.keyIv === undefined) continue;
    const key = `${event.link}|${event.keyIv}`;
    if (seen.has(key)) return verdict(false, `link ${event.link} reused (key, IV) ${event.keyIv}`);
    seen.add(key);
  }
  return verdict(true, `${events.length} link messages: all protected, forgeries rejected, no (key, IV) reuse`);
}
