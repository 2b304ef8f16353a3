import { type RandomSource, fromUtf8, utf8 } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import type { TransformerModel, TransformerShape } from './index.ts';

/**
 * NETM v1, the transformer weights file. All integers and floats little-endian.
 *
 *   offset 0       "NETM" (4 bytes ASCII)
 *   offset 4       u8  version = 1
 *   offset 5       u16 cardLength (bytes of UTF-8, ≤ 65535)
 *   offset 7       card, UTF-8 without NUL (the model card; carries the weights canary). NUL is refused so a
 *                  padding byte can never be read as part of the card (one encoding per file).
 *   then           0..3 zero bytes of padding, so the tensor data below starts at a multiple of 4
 *   then           6 × u16: vocab, dim, layers, heads, ffn, maxSeq
 *   dataOffset     float32 tensors back to back, row-major, in this fixed order (names are implied by the order):
 *                    tok_emb [vocab, dim], pos_emb [maxSeq, dim],
 *                    for each layer l = 0..layers-1:
 *                      l{l}.ln1.g [dim], l{l}.ln1.b [dim],
 *                      l{l}.attn.wq [dim, dim], l{l}.attn.bq [dim], l{l}.attn.wk [dim, dim], l{l}.attn.bk [dim],
 *                      l{l}.attn.wv [dim, dim], l{l}.attn.bv [dim], l{l}.attn.wo [dim, dim], l{l}.attn.bo [dim],
 *                      l{l}.ln2.g [dim], l{l}.ln2.b [dim],
 *                      l{l}.ffn.w1 [dim, ffn], l{l}.ffn.b1 [ffn], l{l}.ffn.w2 [ffn, dim], l{l}.ffn.b2 [dim],
 *                    ln_f.g [dim], ln_f.b [dim], lm_head [dim, vocab]
 *   end            exactly dataOffset + 4 · parameterCount; no trailing bytes. Every float is finite.
 *
 * Weight matrices are [in, out], so a layer computes x · W (+ b).
 */

const MAGIC = [0x4e, 0x45, 0x54, 0x4d]; // "NETM"
export const NETM_VERSION = 1;
const PREFIX_BYTES = 7;
const SHAPE_BYTES = 12;
const CARD_BYTES_MAX = 0xffff;
export const LAYERS_MAX = 64;
export const MAX_SEQ_MAX = 4096;
/** 256 MiB of float32 in all: the emulated device and the enclave hold the whole model. */
export const PARAMETERS_MAX = 64 * 1024 * 1024;

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export function layerTensorSpecs(l: number, dim: number, ffn: number): TensorSpec[] {
  const p = `l${l}.`;
  const specs: TensorSpec[] = [{ name: `${p}ln1.g`, shape: [dim] }, { name: `${p}ln1.b`, shape: [dim] }];
  for (const w of ['q', 'k', 'v', 'o']) {
    specs.push({ name: `${p}attn.w${w}`, shape: [dim, dim] }, { name: `${p}attn.b${w}`, shape: [dim] });
  }
  specs.push(
    { name: `${p}ln2.g`, shape: [dim] }, { name: `${p}ln2.b`, shape: [dim] },
    { name: `${p}ffn.w1`, shape: [dim, ffn] }, { name: `${p}ffn.b1`, shape: [ffn] },
    { name: `${p}ffn.w2`, shape: [ffn, dim] }, { name: `${p}ffn.b2`, shape: [dim] },
  );
  return specs;
}

/** Every tensor of the file, in file order. The shape must be valid (checkShape). */
export function tensorSpecs(shape: TransformerShape): TensorSpec[] {
  const { vocab, dim, layers, ffn, maxSeq } = shape;
  const specs: TensorSpec[] = [{ name: 'tok_emb', shape: [vocab, dim] }, { name: 'pos_emb', shape: [maxSeq, dim] }];
  for (let l = 0; l < layers; l++) specs.push(...layerTensorSpecs(l, dim, ffn));
  specs.push({ name: 'ln_f.g', shape: [dim] }, { name: 'ln_f.b', shape: [dim] }, { name: 'lm_head', shape: [dim, vocab] });
  return specs;
}

export function specElements(spec: TensorSpec): number {
  return spec.shape.reduce((a, b) => a * b, 1);
}

/** Arithmetic only (no allocation), so it can judge a shape before anything is built for it. */
export function transformerParameterCount(shape: TransformerShape): number {
  const { vocab, dim, layers, ffn, maxSeq } = shape;
  const perLayer = 4 * dim + 4 * (dim * dim + dim) + (dim * ffn + ffn) + (ffn * dim + dim);
  return vocab * dim + maxSeq * dim + layers * perLayer + 2 * dim + dim * vocab;
}

/** Bounds of a shape; `code` lets the parser report MODEL_MALFORMED and the builder MODEL_BAD_SHAPE. */
export function checkShape(shape: TransformerShape, code: string): void {
  const fields = ['vocab', 'dim', 'layers', 'heads', 'ffn', 'maxSeq'] as const;
  for (const field of fields) {
    const value: unknown = shape?.[field];
    if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > 0xffff) {
      throw new EmuError(code, `shape.${field} must be an integer in 1..65535`, { field, value });
    }
  }
  if (shape.dim % shape.heads !== 0) throw new EmuError(code, 'heads must divide dim', { dim: shape.dim, heads: shape.heads });
  if (shape.layers > LAYERS_MAX) throw new EmuError(code, `at most ${LAYERS_MAX} layers`, { layers: shape.layers });
  if (shape.maxSeq > MAX_SEQ_MAX) throw new EmuError(code, `maxSeq at most ${MAX_SEQ_MAX}`, { maxSeq: shape.maxSeq });
  const parameters = transformerParameterCount(shape);
  if (parameters > PARAMETERS_MAX) throw new EmuError(code, `more than ${PARAMETERS_MAX} parameters`, { parameters });
}

export interface NetmHeader {
  readonly card: string;
  readonly shape: TransformerShape;
  readonly dataOffset: number;
  readonly totalBytes: number;
}

function paddedPrefix(cardLength: number): number {
  return (PREFIX_BYTES + cardLength + 3) & ~3;
}

function malformed(message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError('MODEL_MALFORMED', message, details);
}

/** Checks everything but the tensor values: magic, version, card, padding, shape bounds and the exact length. */
export function readNetmHeader(bytes: Uint8Array): NetmHeader {
  if (!(bytes instanceof Uint8Array)) throw malformed('model file must be bytes');
  if (bytes.length < PREFIX_BYTES) throw malformed('shorter than the NETM prefix', { length: bytes.length });
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw malformed('bad magic (expected "NETM")');
  if (bytes[4] !== NETM_VERSION) throw malformed('unsupported NETM version', { version: bytes[4] });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cardLength = view.getUint16(5, true);
  const shapeOffset = paddedPrefix(cardLength);
  if (bytes.length < shapeOffset + SHAPE_BYTES) throw malformed('truncated card or shape', { length: bytes.length });
  let card: string;
  try {
    card = fromUtf8(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + cardLength));
  } catch {
    throw malformed('card is not valid UTF-8');
  }
  if (card.includes('\0')) throw malformed('card must not contain NUL');
  for (let i = PREFIX_BYTES + cardLength; i < shapeOffset; i++) {
    if (bytes[i] !== 0) throw malformed('card padding must be zero', { offset: i });
  }
  const u16 = (index: number): number => view.getUint16(shapeOffset + 2 * index, true);
  const shape: TransformerShape = { vocab: u16(0), dim: u16(1), layers: u16(2), heads: u16(3), ffn: u16(4), maxSeq: u16(5) };
  checkShape(shape, 'MODEL_MALFORMED');
  const dataOffset = shapeOffset + SHAPE_BYTES;
  const totalBytes = dataOffset + 4 * transformerParameterCount(shape);
  if (bytes.length !== totalBytes) throw malformed('file length does not match the shape', { length: bytes.length, expected: totalBytes });
  return { card, shape, dataOffset, totalBytes };
}

export function parseTransformerFile(bytes: Uint8Array): TransformerModel {
  const header = readNetmHeader(bytes);
  // One aligned copy of the data section; every tensor is a view into it.
  const data = new Float32Array(bytes.slice(header.dataOffset).buffer);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw malformed('tensor value is not finite', { offset: header.dataOffset + 4 * i });
  }
  const tensors = new Map<string, { readonly shape: readonly number[]; readonly data: Float32Array }>();
  let at = 0;
  for (const spec of tensorSpecs(header.shape)) {
    const count = specElements(spec);
    tensors.set(spec.name, { shape: spec.shape, data: data.subarray(at, at + count) });
    at += count;
  }
  return { ...header.shape, card: header.card, tensors };
}

const UNIT_BITS = 24;
const UNIT_HALF = 2 ** (UNIT_BITS - 1);
const LINEAR_BIAS_RANGE = 1 / 64;

/** Uniform in (−range, range): a 24-bit integer maps exactly to a float32 in (−1, 1), then one rounded product. */
function fillUniform(random: RandomSource, out: Float32Array, range: number): void {
  const raw = random.bytes(3 * out.length);
  for (let i = 0; i < out.length; i++) {
    const u = raw[3 * i]! | (raw[3 * i + 1]! << 8) | (raw[3 * i + 2]! << 16);
    out[i] = ((u - UNIT_HALF + 0.5) / UNIT_HALF) * range;
  }
}

/** Init that keeps activations sane: matrices ±1/√fan_in, layernorm gains 1 and offsets 0, linear biases ±1/64. */
function fillTensor(random: RandomSource, spec: TensorSpec, out: Float32Array): void {
  const leaf = spec.name.slice(spec.name.lastIndexOf('.') + 1);
  if (spec.name.includes('.ln') || spec.name.startsWith('ln_f')) {
    out.fill(leaf === 'g' ? 1 : 0);
  } else if (spec.shape.length === 2) {
    const fanIn = spec.name.endsWith('_emb') ? 1 : spec.shape[0]!;
    fillUniform(random, out, 1 / Math.sqrt(fanIn));
  } else {
    fillUniform(random, out, LINEAR_BIAS_RANGE);
  }
}

export function generateTransformerFile(random: RandomSource, card: string, shape: TransformerShape): Uint8Array {
  checkShape(shape, 'MODEL_BAD_SHAPE');
  const cardBytes = utf8(card);
  if (cardBytes.length > CARD_BYTES_MAX) throw new EmuError('MODEL_BAD_CARD', 'card longer than 65535 UTF-8 bytes', { length: cardBytes.length });
  if (card.includes('\0')) throw new EmuError('MODEL_BAD_CARD', 'card must not contain NUL');
  const shapeOffset = paddedPrefix(cardBytes.length);
  const dataOffset = shapeOffset + SHAPE_BYTES;
  const out = new Uint8Array(dataOffset + 4 * transformerParameterCount(shape));
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = NETM_VERSION;
  view.setUint16(5, cardBytes.length, true);
  out.set(cardBytes, PREFIX_BYTES);
  [shape.vocab, shape.dim, shape.layers, shape.heads, shape.ffn, shape.maxSeq]
    .forEach((value, i) => view.setUint16(shapeOffset + 2 * i, value, true));
  const data = new Float32Array(out.buffer, dataOffset); // dataOffset is a multiple of 4 by construction
  let at = 0;
  for (const spec of tensorSpecs(shape)) {
    const count = specElements(spec);
    fillTensor(random, spec, data.subarray(at, at + count));
    at += count;
  }
  return out;
}
