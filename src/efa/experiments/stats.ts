// Summary statistics the experiments report (research/efa-srd.md §6: p50/p99/p99.9 and max, Jain's index).
import { assert } from '../../errors.ts';

/** Nearest-rank percentile of `values` (q in [0, 1]); NaN for no values. */
export function percentile(values: readonly number[], q: number): number {
  assert(q >= 0 && q <= 1, 'percentile rank must be in [0, 1]');
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function max(values: readonly number[]): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > m) m = v;
  return values.length === 0 ? Number.NaN : m;
}

/** Jain's fairness index (Σx)² / (n·Σx²): 1 when all equal, 1/n when one takes everything; NaN when all are 0. */
export function jainIndex(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  let squares = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
  }
  return squares === 0 ? Number.NaN : (sum * sum) / (values.length * squares);
}

/** Points of the empirical CDF: (value, fraction ≤ value), thinned to at most `pointsMax` for pictures. */
export function cdfPoints(values: readonly number[], pointsMax = 400): Array<readonly [number, number]> {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const out: Array<readonly [number, number]> = [];
  if (n === 0) return out;
  const step = Math.max(1, Math.floor(n / pointsMax));
  for (let i = 0; i < n; i += step) out.push([sorted[i]!, (i + 1) / n]);
  if (out[out.length - 1]![1] !== 1) out.push([sorted[n - 1]!, 1]);
  return out;
}

/** Rounds for reports: metrics stay readable and JSON-stable. */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
