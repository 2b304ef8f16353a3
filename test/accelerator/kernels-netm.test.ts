import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TRANSFORMER_SHAPE, LAYOUT_PAGE_BYTES, type TransformerShape, generateTransformerFile, parseTransformerFile,
  planWeightLayout, readNetmHeader, transformerParameterCount,
} from '../../src/accelerator/kernels/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/index.ts';

const SMALL: TransformerShape = { vocab: 20, dim: 8, layers: 2, heads: 2, ffn: 12, maxSeq: 6 };

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isEmuError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}

function small(card = 'canary-1234', seed = 1): Uint8Array {
  return generateTransformerFile(new Prng(seed, 'netm'), card, SMALL);
}

describe('NETM v1 format', () => {
  it('the default model has at least 1M parameters, all of them in the file', () => {
    const count = transformerParameterCount(DEFAULT_TRANSFORMER_SHAPE);
    expect(count).toBeGreaterThanOrEqual(1_000_000);
    const file = generateTransformerFile(new Prng(7, 'netm'), 'default');
    const model = parseTransformerFile(file);
    let total = 0;
    for (const tensor of model.tensors.values()) {
      expect(tensor.data.length).toBe(tensor.shape.reduce((a, b) => a * b, 1));
      total += tensor.data.length;
    }
    expect(total).toBe(count);
    expect(file.length).toBe(readNetmHeader(file).dataOffset + 4 * count);
    expect(model.tensors.size).toBe(2 + 16 * DEFAULT_TRANSFORMER_SHAPE.layers + 3);
  });

  it('round-trips card, shape and every tensor value; names in file order', () => {
    const file = small('héllo ✓ card');
    const model = parseTransformerFile(file);
    expect(model.card).toBe('héllo ✓ card');
    expect({ vocab: model.vocab, dim: model.dim, layers: model.layers, heads: model.heads, ffn: model.ffn, maxSeq: model.maxSeq }).toEqual(SMALL);
    const names = [...model.tensors.keys()];
    expect(names.slice(0, 4)).toEqual(['tok_emb', 'pos_emb', 'l0.ln1.g', 'l0.ln1.b']);
    expect(names.slice(4, 20)).toEqual([
      'l0.attn.wq', 'l0.attn.bq', 'l0.attn.wk', 'l0.attn.bk', 'l0.attn.wv', 'l0.attn.bv', 'l0.attn.wo', 'l0.attn.bo',
      'l0.ln2.g', 'l0.ln2.b', 'l0.ffn.w1', 'l0.ffn.b1', 'l0.ffn.w2', 'l0.ffn.b2', 'l1.ln1.g', 'l1.ln1.b',
    ]);
    expect(names.slice(-3)).toEqual(['ln_f.g', 'ln_f.b', 'lm_head']);
    // Each value read straight from the file bytes as little-endian float32.
    const view = new DataView(file.buffer, file.byteOffset);
    let offset = readNetmHeader(file).dataOffset;
    for (const tensor of model.tensors.values()) {
      for (const value of tensor.data) {
        expect(value).toBe(view.getFloat32(offset, true));
        offset += 4;
      }
    }
    expect(offset).toBe(file.length);
  });

  it('draws matrices within ±1/√fan_in, gains 1, small biases', () => {
    const model = parseTransformerFile(small());
    const w1 = model.tensors.get('l0.ffn.w1')!.data;
    const w2 = model.tensors.get('l1.ffn.w2')!.data;
    expect(Math.max(...w1.map(Math.abs))).toBeLessThan(1 / Math.sqrt(SMALL.dim));
    expect(Math.max(...w2.map(Math.abs))).toBeLessThan(1 / Math.sqrt(SMALL.ffn));
    expect(Math.max(...w1.map(Math.abs))).toBeGreaterThan(0.5 / Math.sqrt(SMALL.dim));
    expect([...model.tensors.get('l1.ln2.g')!.data]).toEqual(new Array(SMALL.dim).fill(1));
    expect([...model.tensors.get('ln_f.b')!.data]).toEqual(new Array(SMALL.dim).fill(0));
    expect(Math.max(...model.tensors.get('l0.attn.bq')!.data.map(Math.abs))).toBeLessThan(1 / 64);
  });

  it('tensor data starts 4-aligned for every card length', () => {
    for (let length = 0; length < 9; length++) {
      const file = small('x'.repeat(length));
      const { dataOffset } = readNetmHeader(file);
      expect(dataOffset % 4).toBe(0);
      expect(parseTransformerFile(file).card).toBe('x'.repeat(length));
    }
  });

  it('is deterministic: same seed same bytes, other seed other bytes', () => {
    expect(Buffer.from(small('c', 5)).equals(Buffer.from(small('c', 5)))).toBe(true);
    expect(Buffer.from(small('c', 5)).equals(Buffer.from(small('c', 6)))).toBe(false);
  });

  it('every truncation and any trailing byte is MODEL_MALFORMED', () => {
    const file = small();
    const { dataOffset } = readNetmHeader(file);
    for (let length = 0; length < file.length; length += length < dataOffset + 8 ? 1 : 37) {
      expectCode(() => parseTransformerFile(file.subarray(0, length)), 'MODEL_MALFORMED');
    }
    const longer = new Uint8Array(file.length + 1);
    longer.set(file);
    expectCode(() => parseTransformerFile(longer), 'MODEL_MALFORMED');
  });

  it('every corrupted header byte is MODEL_MALFORMED', () => {
    const file = small('card'); // 4 card bytes: one padding byte
    const { dataOffset } = readNetmHeader(file);
    expect(dataOffset).toBe(7 + 4 + 1 + 12);
    for (let i = 0; i < dataOffset; i++) {
      const inCard = i >= 7 && i < 11;
      // Inverting a card byte gives invalid UTF-8; a one-bit flip there is only another card (no checksum in v1).
      for (const mask of inCard ? [0xff] : [0xff, 0x01, 0x80]) {
        const bad = file.slice();
        bad[i] = bad[i]! ^ mask;
        expectCode(() => parseTransformerFile(bad), 'MODEL_MALFORMED');
      }
    }
  });

  it('a non-finite weight is MODEL_MALFORMED', () => {
    const file = small();
    const bad = file.slice();
    new DataView(bad.buffer).setFloat32(file.length - 8, Number.NaN, true);
    expectCode(() => parseTransformerFile(bad), 'MODEL_MALFORMED');
    new DataView(bad.buffer).setFloat32(file.length - 8, Number.POSITIVE_INFINITY, true);
    expectCode(() => parseTransformerFile(bad), 'MODEL_MALFORMED');
  });

  it('refuses shapes out of bounds and over-long cards', () => {
    const random = new Prng(1, 'netm');
    for (const shape of [
      { ...SMALL, heads: 3 }, { ...SMALL, dim: 0 }, { ...SMALL, vocab: 70000 }, { ...SMALL, layers: 65 }, { ...SMALL, ffn: 1.5 },
      { ...SMALL, dim: 4096, ffn: 16384, layers: 64 },
    ]) {
      expectCode(() => generateTransformerFile(random, 'c', shape), 'MODEL_BAD_SHAPE');
    }
    expectCode(() => generateTransformerFile(random, 'é'.repeat(40000), SMALL), 'MODEL_BAD_CARD');
    expectCode(() => generateTransformerFile(random, 'a\0b', SMALL), 'MODEL_BAD_CARD');
  });
});

describe('weight layout', () => {
  it('page-aligns every tensor, in file order, and its file range streams the right bytes', () => {
    const file = small();
    const model = parseTransformerFile(file);
    const base = 3 * LAYOUT_PAGE_BYTES;
    const layout = planWeightLayout(SMALL, file, base);
    let next = base;
    let fileNext = readNetmHeader(file).dataOffset;
    for (const [name, tensor] of model.tensors) {
      const ref = layout.tensors.get(name)!;
      const range = layout.fileRanges.get(name)!;
      expect(ref.address % LAYOUT_PAGE_BYTES).toBe(0);
      expect(ref.address).toBe(next);
      expect(ref.shape).toEqual(tensor.shape);
      expect(range).toEqual({ offset: fileNext, length: 4 * tensor.data.length });
      const streamed = new Float32Array(file.slice(range.offset, range.offset + range.length).buffer);
      expect(Array.from(streamed)).toEqual(Array.from(tensor.data));
      next += Math.ceil(range.length / LAYOUT_PAGE_BYTES) * LAYOUT_PAGE_BYTES;
      fileNext += range.length;
    }
    expect(layout.bytes).toBe(next - base);
  });

  it('refuses an unaligned base, a different shape or a malformed file', () => {
    const file = small();
    expectCode(() => planWeightLayout(SMALL, file, 100), 'KERNEL_BAD_ADDRESS');
    expectCode(() => planWeightLayout({ ...SMALL, ffn: 16 }, file, 0), 'MODEL_SHAPE_MISMATCH');
    expectCode(() => planWeightLayout(SMALL, file.subarray(1), 0), 'MODEL_MALFORMED');
  });
});
