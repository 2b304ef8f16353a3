import { softmaxInto } from './ops-pointwise.ts';

/**
 * Causal multi-head self-attention: q, k, v are [seq, dim] with `heads` heads of dim/heads columns each. Row t of
 * head h attends to rows 0..t only, so no later token can change an earlier row.
 */
export function attentionF32(q: Float32Array, k: Float32Array, v: Float32Array, seq: number, dim: number, heads: number): Float32Array {
  const headDim = dim / heads;
  const scale = Math.fround(1 / Math.sqrt(headDim));
  const out = new Float32Array(seq * dim);
  const scores = new Float32Array(seq);
  const weights = new Float32Array(seq);
  for (let h = 0; h < heads; h++) {
    const col = h * headDim;
    for (let t = 0; t < seq; t++) {
      const qRow = t * dim + col;
      for (let j = 0; j <= t; j++) {
        const kRow = j * dim + col;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot = Math.fround(dot + q[qRow + d]! * k[kRow + d]!);
        scores[j] = dot * scale;
      }
      softmaxInto(scores, 0, t + 1, weights, 0);
      const outRow = t * dim + col;
      for (let j = 0; j <= t; j++) {
        const w = weights[j]!;
        const vRow = j * dim + col;
        for (let d = 0; d < headDim; d++) out[outRow + d] = out[outRow + d]! + w * v[vRow + d]!;
      }
    }
  }
  return out;
}

/** Multiply-adds of one call, for the cost model: scores and weighted sums over the causal triangle, plus softmax. */
export function attentionFlops(seq: number, dim: number): number {
  const pairs = (seq * (seq + 1)) / 2;
  return pairs * dim * 4 + pairs * 5;
}
