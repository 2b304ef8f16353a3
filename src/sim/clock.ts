import { EmuError } from '../errors.ts';
import { DEFAULT_EPOCH_MS } from './simulator.ts';

/** The machine's clock. Only the CLI's wiring asks for it (`--epoch now`, `--at` defaults). */
export function wallClockMs(): number {
  return Date.now();
}

/** `--epoch MS|ISO|now` → ms since the Unix epoch. */
export function parseEpoch(text: string | undefined, fallback: 'fixed' | 'now'): number {
  if (text === undefined) return fallback === 'now' ? wallClockMs() : DEFAULT_EPOCH_MS;
  if (text === 'now') return wallClockMs();
  if (/^\d+$/.test(text)) {
    const ms = Number(text);
    if (Number.isSafeInteger(ms)) return ms;
  }
  const parsed = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(parsed)) return parsed;
  throw new EmuError('CLI_BAD_TIME', `not a time: ${JSON.stringify(text)} (use ms since 1970, an ISO date, or now)`);
}
