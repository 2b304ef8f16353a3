import { utf8, type RandomSource } from '../crypto/index.ts';
import { EmuError, assert } from '../errors.ts';

/**
 * The small model the flow protects: mean byte embedding → dense → GELU → dense → softmax.
 * File format `NEMW` v1 (big-endian header, little-endian float32 tensors):
 *   "NEMW" ‖ u8 version ‖ u16 card length ‖ card (UTF-8, carries the weights canary) ‖
 *   u16 vocab ‖ u16 dim ‖ u16 hidden ‖ u16 classes ‖ embedding[vocab×dim] ‖ w1[hidden×dim] ‖ b1 ‖ w2[classes×hidden] ‖ b2
 * This is the plaintext reference; the enclave runs its own implementation from the measured image,
 * and the two must agree bit for bit.
 */
export interface ModelShape {
  readonly vocab: number;
  readonly dim: number;
  readonly hidden: number;
  readonly classes: number;
}

export const DEFAULT_MODEL_SHAPE: ModelShape = { vocab: 256, dim: 64, hidden: 128, classes: 8 };

export interface Model extends ModelShape {
  readonly card: string;
  readonly embedding: Float32Array;
  readonly w1: Float32Array;
  readonly b1: Float32Array;
  readonly w2: Float32Array;
  readonly b2: Float32Array;
}

export function generateModelFile(random: RandomSource, card: string, shape: ModelShape = DEFAULT_MODEL_SHAPE): Uint8Array {
  const cardBytes = utf8(card);
  assert(cardBytes.length < 65536, 'model card too long');
  const counts = [shape.vocab * shape.dim, shape.hidden * shape.dim, shape.hidden, shape.classes * shape.hidden, shape.classes];
  const floats = counts.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(7 + cardBytes.length + 8 + 4 * floats);
  const view = new DataView(out.buffer);
  out.set(utf8('NEMW'));
  out[4] = 1;
  view.setUint16(5, cardBytes.length);
  out.set(cardBytes, 7);
  let offset = 7 + cardBytes.length;
  for (const n of [shape.vocab, shape.dim, shape.hidden, shape.classes]) {
    view.setUint16(offset, n);
    offset += 2;
  }
  // Uniform in [-0.5, 0.5) from 24 random bits: exact in float32 and identical on every platform.
  const raw = random.bytes(3 * floats);
  for (let i = 0; i < floats; i++) {
    const bits = (raw[3 * i]! << 16) | (raw[3 * i + 1]! << 8) | raw[3 * i + 2]!;
    view.setFloat32(offset, bits / 2 ** 24 - 0.5, true);
    offset += 4;
  }
  return out;
}

export function parseModelFile(bytes: Uint8Array): Model {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string) => new EmuError('MODEL_MALFORMED', why);
  if (bytes.length < 15 || new TextDecoder().decode(bytes.subarray(0, 4)) !== 'NEMW' || bytes[4] !== 1) {
    throw fail('not a NEMW v1 model file');
  }
  const cardLength = view.getUint16(5);
  let offset = 7 + cardLength;
  if (offset + 8 > bytes.length) throw fail('truncated header');
  const card = new TextDecoder().decode(bytes.subarray(7, offset));
  const [vocab, dim, hidden, classes] = [0, 2, 4, 6].map((d) => view.getUint16(offset + d)) as [number, number, number, number];
  offset += 8;
  const take = (count: number): Float32Array => {
    if (offset + 4 * count > bytes.length) throw fail('truncated tensors');
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
    offset += 4 * count;
    return out;
  };
  const model = {
    card,
    vocab,
    dim,
    hidden,
    classes,
    embedding: take(vocab * dim),
    w1: take(hidden * dim),
    b1: take(hidden),
    w2: take(classes * hidden),
    b2: take(classes),
  };
  if (offset !== bytes.length) throw fail('trailing bytes after the tensors');
  return model;
}

/** Class probabilities as little-endian float32 bytes (the bytes the client receives). */
export function inferReference(model: Model, prompt: Uint8Array): Uint8Array {
  const x = new Float32Array(model.dim);
  for (let d = 0; d < model.dim; d++) {
    let sum = 0;
    for (const byte of prompt) sum += model.embedding[byte * model.dim + d]!;
    x[d] = Math.fround(prompt.length === 0 ? 0 : sum / prompt.length);
  }
  const h = new Float32Array(model.hidden);
  for (let j = 0; j < model.hidden; j++) {
    let acc = model.b1[j]!;
    for (let d = 0; d < model.dim; d++) acc += model.w1[j * model.dim + d]! * x[d]!;
    const a = Math.fround(acc);
    h[j] = Math.fround(0.5 * a * (1 + Math.tanh(0.7978845608028654 * (a + 0.044715 * a * a * a))));
  }
  const logits = new Float32Array(model.classes);
  let max = -Infinity;
  for (let k = 0; k < model.classes; k++) {
    let acc = model.b2[k]!;
    for (let j = 0; j < model.hidden; j++) acc += model.w2[k * model.hidden + j]! * h[j]!;
    logits[k] = Math.fround(acc);
    if (logits[k]! > max) max = logits[k]!;
  }
  let total = 0;
  const exps = new Float64Array(model.classes);
  for (let k = 0; k < model.classes; k++) {
    exps[k] = Math.exp(logits[k]! - max);
    total += exps[k]!;
  }
  const probabilities = new Float32Array(model.classes);
  for (let k = 0; k < model.classes; k++) probabilities[k] = Math.fround(exps[k]! / total);
  return new Uint8Array(probabilities.buffer);
}
