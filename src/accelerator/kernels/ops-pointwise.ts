import { expDet, tanhDet } from './det-math.ts';

/** Elementwise and per-row kernels; same rounding rule as ops-linear.ts. */

export function addF32(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

const GELU_C = Math.sqrt(2 / Math.PI); // sqrt is correctly rounded: the same constant everywhere
const GELU_CUBIC = 0.044715;

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), evaluated in double and rounded once. */
export function geluF32(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = 0.5 * v * (1 + tanhDet(GELU_C * (v + GELU_CUBIC * v * v * v)));
  }
  return out;
}

/** Per row of n: (x − mean)/√(var + eps)·gamma + beta, with float32 sums in increasing index order. */
export function layernormF32(x: Float32Array, gamma: Float32Array, beta: Float32Array, n: number, eps: number): Float32Array {
  const out = new Float32Array(x.length);
  const rows = x.length / n;
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    let sum = 0;
    for (let j = 0; j < n; j++) sum = Math.fround(sum + x[row + j]!);
    const mean = Math.fround(sum / n);
    let squares = 0;
    for (let j = 0; j < n; j++) {
      const d = Math.fround(x[row + j]! - mean);
      squares = Math.fround(squares + d * d);
    }
    const variance = Math.fround(squares / n);
    const inv = Math.fround(1 / Math.sqrt(Math.fround(variance + eps)));
    for (let j = 0; j < n; j++) {
      const normed = Math.fround(Math.fround(x[row + j]! - mean) * inv);
      out[row + j] = normed * gamma[j]! + beta[j]!;
    }
  }
  return out;
}

/** Per row of n, max-subtracted so exp never overflows; a row of −∞ stays NaN rather than inventing a distribution. */
export function softmaxRowsF32(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length);
  const rows = x.length / n;
  for (let r = 0; r < rows; r++) softmaxInto(x, r * n, n, out, r * n);
  return out;
}

/** Shared with attention, so both round the same way. */
export function softmaxInto(x: ArrayLike<number>, from: number, n: number, out: Float32Array, to: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) {
    const v = x[from + j]!;
    if (v > max || Number.isNaN(v)) max = v;
  }
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.fround(expDet(x[from + j]! - max));
    out[to + j] = e;
    sum = Math.fround(sum + e);
  }
  for (let j = 0; j < n; j++) out[to + j] = out[to + j]! / sum;
}
