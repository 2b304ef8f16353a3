import { describe, expect, it } from 'vitest';
import { ProtectedMemory } from '../../src/accelerator/index.ts';
import {
  DEFAULT_TRANSFORMER_SHAPE, type TensorRef, type TensorStore, type TransformerModel, type TransformerShape, type WeightLayout,
  MemoryStore, argmaxLastRow, executeKernel, generateTransformerFile, pageAlign, parseTransformerFile, planForwardStage,
  planWeightLayout, referenceGenerate, tokenize,
} from '../../src/accelerator/kernels/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/index.ts';
import { getF32, putI32 } from './kernels-helpers.ts';

const SMALL: TransformerShape = { vocab: 32, dim: 16, layers: 4, heads: 2, ffn: 24, maxSeq: 12 };

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isEmuError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}

function loaded(file: Uint8Array, shape: TransformerShape, store: TensorStore): WeightLayout {
  const layout = planWeightLayout(shape, file, 0);
  for (const [name, range] of layout.fileRanges) {
    store.write(layout.tensors.get(name)!.address, file.subarray(range.offset, range.offset + range.length));
  }
  return layout;
}

/** Runs stages split at `cuts` (layer indices), each with its own scratch region as on separate devices. */
function logitsBySplit(file: Uint8Array, shape: TransformerShape, tokens: number[], cuts: number[], store?: TensorStore): Float32Array {
  const memory = store ?? new MemoryStore(1 << 22);
  const layout = loaded(file, shape, memory);
  const idsAddress = pageAlign(layout.bytes);
  putI32(memory, idsAddress, tokens);
  const bounds = [0, ...cuts, shape.layers];
  let input: TensorRef | undefined;
  let scratchAddress = idsAddress + 4096;
  for (let s = 0; s + 1 < bounds.length; s++) {
    const stage = planForwardStage(shape, layout, {
      seqLength: tokens.length, idsAddress, scratchAddress, firstLayer: bounds[s]!, lastLayer: bounds[s + 1]!, input,
    });
    for (const call of stage.calls) executeKernel(memory, call);
    input = stage.output;
    scratchAddress += stage.scratchBytes + 4096;
  }
  return getF32(memory, input!);
}

/** An independent double-precision forward pass written from the architecture, not from the planner. */
function doubleForward(model: TransformerModel, tokens: number[]): number[][] {
  const t = (name: string): Float32Array => model.tensors.get(name)!.data;
  const { dim, heads, ffn, vocab } = model;
  const linear = (x: number[][], w: Float32Array, b: Float32Array | null, n: number): number[][] =>
    x.map((row) => Array.from({ length: n }, (_, j) => row.reduce((s, v, p) => s + v * w[p * n + j]!, b === null ? 0 : b[j]!)));
  const norm = (x: number[][], g: Float32Array, b: Float32Array): number[][] => x.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    return row.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-5)) * g[j]! + b[j]!);
  });
  let x = tokens.map((id, p) => Array.from({ length: dim }, (_, j) => t('tok_emb')[id * dim + j]! + t('pos_emb')[p * dim + j]!));
  const hd = dim / heads;
  for (let l = 0; l < model.layers; l++) {
    const h = norm(x, t(`l${l}.ln1.g`), t(`l${l}.ln1.b`));
    const [q, k, v] = ['q', 'k', 'v'].map((w) => linear(h, t(`l${l}.attn.w${w}`), t(`l${l}.attn.b${w}`), dim)) as [number[][], number[][], number[][]];
    const att = q.map((qRow, i) => {
      const out = new Array<number>(dim).fill(0);
      for (let head = 0; head < heads; head++) {
        const scores = k.slice(0, i + 1).map((kRow) => {
          let s = 0;
          for (let d = head * hd; d < (head + 1) * hd; d++) s += qRow[d]! * kRow[d]!;
          return s / Math.sqrt(hd);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, b) => a + b, 0);
        e.forEach((w, j) => { for (let d = head * hd; d < (head + 1) * hd; d++) out[d]! += (w / sum) * v[j]![d]!; });
      }
      return out;
    });
    const proj = linear(att, t(`l${l}.attn.wo`), t(`l${l}.attn.bo`), dim);
    x = x.map((row, i) => row.map((v2, j) => v2 + proj[i]![j]!));
    const h2 = norm(x, t(`l${l}.ln2.g`), t(`l${l}.ln2.b`));
    const f = linear(h2, t(`l${l}.ffn.w1`), t(`l${l}.ffn.b1`), ffn)
      .map((row) => row.map((u) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)))));
    const f2 = linear(f, t(`l${l}.ffn.w2`), t(`l${l}.ffn.b2`), dim);
    x = x.map((row, i) => row.map((v2, j) => v2 + f2[i]![j]!));
  }
  return linear(norm(x, t('ln_f.g'), t('ln_f.b')), t('lm_head'), null, vocab);
}

describe('forward pass', () => {
  const file = generateTransformerFile(new Prng(11, 'model'), 'forward-test', SMALL);
  const model = parseTransformerFile(file);
  const tokens = [3, 17, 0, 31, 8, 8, 12];

  it('matches an independent double-precision implementation of the pre-LN GPT block', () => {
    const logits = logitsBySplit(file, SMALL, tokens, []);
    const want = doubleForward(model, tokens);
    expect(logits.length).toBe(tokens.length * SMALL.vocab);
    want.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(logits[i * SMALL.vocab + j]! - v)).toBeLessThan(1e-4)));
  });

  it('splitting layers into stages gives exactly the same logits, on plain or device memory', () => {
    const whole = Buffer.from(logitsBySplit(file, SMALL, tokens, []).buffer);
    for (const cuts of [[1], [2], [3], [0], [1, 3], [1, 2, 3], [0, 2]]) {
      expect(Buffer.from(logitsBySplit(file, SMALL, tokens, cuts).buffer).equals(whole), `cuts ${cuts.join(',')}`).toBe(true);
    }
    const device = new ProtectedMemory(1 << 22);
    expect(Buffer.from(logitsBySplit(file, SMALL, tokens, [2], device).buffer).equals(whole)).toBe(true);
  });

  it('a later token never changes earlier logits', () => {
    const a = logitsBySplit(file, SMALL, tokens, []);
    const b = logitsBySplit(file, SMALL, [...tokens.slice(0, 4), 1, ...tokens.slice(5)], []);
    const before = 4 * SMALL.vocab;
    expect(Array.from(b.subarray(0, before))).toEqual(Array.from(a.subarray(0, before)));
    expect(Array.from(b.subarray(before, before + SMALL.vocab))).not.toEqual(Array.from(a.subarray(before, before + SMALL.vocab)));
  });

  it('a middle stage leaves activations [seq, dim] and never writes its input', () => {
    const memory = new MemoryStore(1 << 22);
    const layout = loaded(file, SMALL, memory);
    const scratchAddress = pageAlign(layout.bytes) + 4096;
    const first = planForwardStage(SMALL, layout, { seqLength: 5, idsAddress: pageAlign(layout.bytes), scratchAddress, firstLayer: 0, lastLayer: 2 });
    expect(first.output.shape).toEqual([5, SMALL.dim]);
    expect(first.calls[0]!.kernel).toBe('embed');
    expect(first.calls.some((c) => c.inputs.length === 2 && c.kernel === 'matmul' && c.output.shape[1] === SMALL.vocab)).toBe(false);
    const input = { address: 1 << 21, shape: [5, SMALL.dim] };
    const second = planForwardStage(SMALL, layout, { seqLength: 5, idsAddress: 0, scratchAddress, firstLayer: 2, lastLayer: 4, input });
    expect(second.calls.every((c) => c.output.address !== input.address)).toBe(true);
    expect(second.calls.some((c) => c.kernel === 'embed')).toBe(false);
    expect(second.output.shape).toEqual([5, SMALL.vocab]);
    for (const call of [...first.calls, ...second.calls]) {
      expect(call.output.address).toBeGreaterThanOrEqual(scratchAddress);
      expect(call.output.address + 4 * call.output.shape.reduce((x, y) => x * y, 1)).toBeLessThanOrEqual(scratchAddress + second.scratchBytes);
    }
  });

  it('refuses bad stage options', () => {
    const layout = planWeightLayout(SMALL, file, 0);
    const ok = { seqLength: 4, idsAddress: 0, scratchAddress: 1 << 20, firstLayer: 0, lastLayer: 4 };
    expectCode(() => planForwardStage(SMALL, layout, { ...ok, seqLength: 0 }), 'KERNEL_BAD_PARAM');
    expectCode(() => planForwardStage(SMALL, layout, { ...ok, seqLength: SMALL.maxSeq + 1 }), 'KERNEL_BAD_PARAM');
    expectCode(() => planForwardStage(SMALL, layout, { ...ok, firstLayer: 3, lastLayer: 2 }), 'KERNEL_BAD_PARAM');
    expectCode(() => planForwardStage(SMALL, layout, { ...ok, lastLayer: 5 }), 'KERNEL_BAD_PARAM');
    expectCode(() => planForwardStage(SMALL, layout, { ...ok, firstLayer: 1 }), 'KERNEL_BAD_PARAM');
    expectCode(() => planForwardStage(SMALL, layout, { ...ok, scratchAddress: 100 }), 'KERNEL_BAD_ADDRESS');
    expectCode(() => planForwardStage(SMALL, layout, { ...ok, firstLayer: 1, input: { address: 0, shape: [4, 8] } }), 'KERNEL_BAD_SHAPE');
    expectCode(() => planForwardStage({ ...SMALL, ffn: 8 }, layout, ok), 'MODEL_SHAPE_MISMATCH');
  });
});

describe('generation', () => {
  it('tokenizes to UTF-8 bytes capped at maxSeq', () => {
    expect(tokenize('hé!', DEFAULT_TRANSFORMER_SHAPE)).toEqual([0x68, 0xc3, 0xa9, 0x21]);
    expect(tokenize('a'.repeat(100), DEFAULT_TRANSFORMER_SHAPE)).toHaveLength(DEFAULT_TRANSFORMER_SHAPE.maxSeq);
    expectCode(() => tokenize('é', SMALL), 'MODEL_BAD_PROMPT');
  });

  it('argmax takes the last row, lowest index on ties', () => {
    expect(argmaxLastRow(Float32Array.from([9, 0, 0, 1, 5, 5]), 3)).toBe(1);
    expect(argmaxLastRow(Float32Array.from([-1, -3, -1]), 3)).toBe(0);
    expectCode(() => argmaxLastRow(Float32Array.from([1, 2, 3]), 2), 'KERNEL_BAD_SHAPE');
  });

  it('greedy decoding follows the forward pass, is deterministic and stops at maxSeq', () => {
    const file = generateTransformerFile(new Prng(21, 'model'), 'gen', SMALL);
    const model = parseTransformerFile(file);
    const prompt = [5, 9, 2];
    const generated = referenceGenerate(model, file, prompt, 4);
    expect(generated).toHaveLength(4);
    expect(referenceGenerate(model, file, prompt, 4)).toEqual(generated);
    let sequence = [...prompt];
    for (const token of generated) {
      expect(token).toBe(argmaxLastRow(logitsBySplit(file, SMALL, sequence, [2]), SMALL.vocab));
      sequence = [...sequence, token];
    }
    expect(referenceGenerate(model, file, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5)).toHaveLength(2);
    expect(referenceGenerate(model, file, prompt, 0)).toEqual([]);
    const otherFile = generateTransformerFile(new Prng(22, 'model'), 'gen', SMALL);
    const others = [1, 2, 3, 4].map((seed) => generateTransformerFile(new Prng(seed + 30, 'model'), 'gen', SMALL))
      .map((f) => referenceGenerate(parseTransformerFile(f), f, prompt, 4).join(','));
    expect(new Set([...others, generated.join(','), referenceGenerate(parseTransformerFile(otherFile), otherFile, prompt, 4).join(',')]).size).toBeGreaterThan(1);
    expectCode(() => referenceGenerate(model, file, [], 2), 'MODEL_BAD_PROMPT');
    expectCode(() => referenceGenerate(model, file, [SMALL.vocab], 2), 'MODEL_BAD_PROMPT');
    expectCode(() => referenceGenerate(model, file, new Array(SMALL.maxSeq + 1).fill(1), 1), 'MODEL_BAD_PROMPT');
  });

  it('the default model runs a 24-token forward pass quickly', () => {
    const file = generateTransformerFile(new Prng(3, 'model'), 'default');
    const tokens = tokenize('The quick brown fox jump', DEFAULT_TRANSFORMER_SHAPE);
    expect(tokens).toHaveLength(24);
    logitsBySplit(file, DEFAULT_TRANSFORMER_SHAPE, tokens, [], new MemoryStore(1 << 23)); // warm-up
    const started = performance.now();
    const logits = logitsBySplit(file, DEFAULT_TRANSFORMER_SHAPE, tokens, [], new MemoryStore(1 << 23));
    const elapsedMs = performance.now() - started;
    console.log(`default model, 24-token forward pass: ${elapsedMs.toFixed(1)} ms`);
    expect(logits.every(Number.isFinite)).toBe(true);
    expect(elapsedMs).toBeLessThan(1000); // target ~100 ms; loose so a loaded shared machine does not flake
  });
});
