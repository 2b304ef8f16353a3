import { utf8 } from '../../crypto/index.ts';
import { EmuError, assert } from '../../errors.ts';
import { executeKernel } from './execute.ts';
import { planForwardStage } from './forward.ts';
import type { TensorStore, TransformerModel, TransformerShape } from './index.ts';
import { LAYOUT_PAGE_BYTES, pageAlign, planWeightLayout } from './layout.ts';
import { readNetmHeader } from './netm-format.ts';

/** Plain memory for the CPU reference: one zero-filled buffer, range-checked like device memory. */
export class MemoryStore implements TensorStore {
  private readonly memory: Uint8Array;

  constructor(capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, 'capacity must be a non-negative integer');
    this.memory = new Uint8Array(capacityBytes);
  }

  private check(address: number, length: number): void {
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(length) || address < 0 || length < 0 ||
        address + length > this.memory.length) {
      throw new EmuError('KERNEL_BAD_ADDRESS', 'range lies outside memory', { address, length, capacityBytes: this.memory.length });
    }
  }

  /** A copy: the caller cannot reach the memory through what it was handed. */
  read(address: number, length: number): Uint8Array {
    this.check(address, length);
    return this.memory.slice(address, address + length);
  }

  write(address: number, bytes: Uint8Array): void {
    this.check(address, bytes.length);
    this.memory.set(bytes, address);
  }
}

export function tokenize(prompt: string, shape: TransformerShape): number[] {
  const bytes = utf8(prompt);
  const tokens = Array.from(bytes.subarray(0, shape.maxSeq));
  const outside = tokens.find((t) => t >= shape.vocab);
  if (outside !== undefined) throw new EmuError('MODEL_BAD_PROMPT', 'a prompt byte lies outside the vocabulary', { token: outside, vocab: shape.vocab });
  return tokens;
}

export function argmaxLastRow(logits: Float32Array, vocab: number): number {
  if (!Number.isSafeInteger(vocab) || vocab < 1 || logits.length < vocab || logits.length % vocab !== 0) {
    throw new EmuError('KERNEL_BAD_SHAPE', 'logits must be whole rows of vocab', { length: logits.length, vocab });
  }
  const from = logits.length - vocab;
  let best = 0;
  // Strictly greater keeps the lowest index on ties; NaN never wins.
  for (let j = 1; j < vocab; j++) if (logits[from + j]! > logits[from + best]!) best = j;
  return best;
}

export const NEW_TOKENS_MAX = 4096;

/** Checks the prompt against the model; returns how many tokens will actually be generated (capped at maxSeq). */
export function checkGeneration(shape: TransformerShape, promptTokens: readonly number[], newTokens: number): number {
  if (!Number.isSafeInteger(newTokens) || newTokens < 0 || newTokens > NEW_TOKENS_MAX) {
    throw new EmuError('MODEL_BAD_PROMPT', `newTokens must be in 0..${NEW_TOKENS_MAX}`, { newTokens });
  }
  if (!Array.isArray(promptTokens) || promptTokens.length < 1 || promptTokens.length > shape.maxSeq) {
    throw new EmuError('MODEL_BAD_PROMPT', `prompt must hold 1..${shape.maxSeq} tokens`, { length: promptTokens?.length });
  }
  for (const token of promptTokens) {
    if (!Number.isSafeInteger(token) || token < 0 || token >= shape.vocab) {
      throw new EmuError('MODEL_BAD_PROMPT', 'prompt token outside the vocabulary', { token, vocab: shape.vocab });
    }
  }
  return Math.min(newTokens, shape.maxSeq - promptTokens.length);
}

/** Returns only the generated tokens (not the prompt); fewer than newTokens when maxSeq is reached. */
export function referenceGenerate(model: TransformerModel, fileBytes: Uint8Array, promptTokens: readonly number[], newTokens: number): number[] {
  const count = checkGeneration(model, promptTokens, newTokens);
  readNetmHeader(fileBytes); // exact length and shape before anything is copied
  const layout = planWeightLayout(model, fileBytes, 0);
  const idsAddress = layout.bytes;
  const scratchAddress = idsAddress + pageAlign(4 * model.maxSeq);
  const fullStage = planForwardStage(model, layout, {
    seqLength: model.maxSeq, idsAddress, scratchAddress, firstLayer: 0, lastLayer: model.layers,
  });
  const store = new MemoryStore(scratchAddress + fullStage.scratchBytes + LAYOUT_PAGE_BYTES);
  for (const [name, range] of layout.fileRanges) {
    store.write(layout.tensors.get(name)!.address, fileBytes.subarray(range.offset, range.offset + range.length));
  }
  const tokens = [...promptTokens];
  const generated: number[] = [];
  for (let step = 0; step < count; step++) {
    store.write(idsAddress, new Uint8Array(Int32Array.from(tokens).buffer));
    const stage = planForwardStage(model, layout, {
      seqLength: tokens.length, idsAddress, scratchAddress, firstLayer: 0, lastLayer: model.layers,
    });
    for (const call of stage.calls) executeKernel(store, call);
    const logits = new Float32Array(store.read(stage.output.address, 4 * tokens.length * model.vocab).buffer);
    const next = argmaxLastRow(logits, model.vocab);
    tokens.push(next);
    generated.push(next);
  }
  return generated;
}
