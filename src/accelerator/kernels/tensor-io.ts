import { EmuError, assert } from '../../errors.ts';
import type { TensorRef, TensorStore } from './index.ts';

/** Refuse any tensor above this many elements (256 MiB of float32): bounds every allocation a call can cause. */
export const TENSOR_ELEMENTS_MAX = 64 * 1024 * 1024;
export const TENSOR_RANK_MAX = 4;

assert(new Uint8Array(new Uint32Array([1]).buffer)[0] === 1, 'typed-array views assume a little-endian host');

/** Validates the shape and address of `ref`; returns its element count. */
export function elementCount(ref: TensorRef, what: string): number {
  const shape: unknown = ref?.shape;
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > TENSOR_RANK_MAX) {
    throw new EmuError('KERNEL_BAD_SHAPE', `${what}: rank must be 1..${TENSOR_RANK_MAX}`, { what, shape });
  }
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || (dim as number) < 1) {
      throw new EmuError('KERNEL_BAD_SHAPE', `${what}: every dimension must be a positive integer`, { what, shape });
    }
    count *= dim as number;
    if (count > TENSOR_ELEMENTS_MAX) {
      throw new EmuError('KERNEL_BAD_SHAPE', `${what}: more than ${TENSOR_ELEMENTS_MAX} elements`, { what, shape });
    }
  }
  const address: unknown = ref.address;
  if (!Number.isSafeInteger(address) || (address as number) < 0 || !Number.isSafeInteger((address as number) + count * 4)) {
    throw new EmuError('KERNEL_BAD_ADDRESS', `${what}: address must be a non-negative integer`, { what, address });
  }
  return count;
}

export function requireShape(ref: TensorRef, expected: readonly number[], what: string): void {
  const same = ref.shape.length === expected.length && ref.shape.every((dim, i) => dim === expected[i]);
  if (!same) {
    throw new EmuError('KERNEL_BAD_SHAPE', `${what}: expected shape [${expected.join(',')}]`, {
      what, shape: [...ref.shape], expected: [...expected],
    });
  }
}

export function requireRank(ref: TensorRef, rank: number, what: string): void {
  if (ref.shape.length !== rank) {
    throw new EmuError('KERNEL_BAD_SHAPE', `${what}: expected rank ${rank}`, { what, shape: [...ref.shape] });
  }
}

/** The store's bytes as 4-byte words: a view when the store hands back an aligned buffer, else one aligned copy. */
function readAligned(store: TensorStore, address: number, count: number): { buffer: ArrayBufferLike; offset: number } {
  const bytes = store.read(address, count * 4);
  assert(bytes.length === count * 4, 'store returned a short read');
  if (bytes.byteOffset % 4 === 0) return { buffer: bytes.buffer, offset: bytes.byteOffset };
  const copy = new Uint8Array(count * 4);
  copy.set(bytes);
  return { buffer: copy.buffer, offset: 0 };
}

export function readF32(store: TensorStore, ref: TensorRef, count: number): Float32Array {
  const { buffer, offset } = readAligned(store, ref.address, count);
  return new Float32Array(buffer, offset, count);
}

export function readI32(store: TensorStore, ref: TensorRef, count: number): Int32Array {
  const { buffer, offset } = readAligned(store, ref.address, count);
  return new Int32Array(buffer, offset, count);
}

/** The only write a kernel makes: one call, after every check and all compute are done. */
export function writeF32(store: TensorStore, ref: TensorRef, data: Float32Array): void {
  store.write(ref.address, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
