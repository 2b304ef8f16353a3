import {
  type KernelCall, type TensorRef, type TensorStore, MemoryStore, executeKernel,
} from '../../src/accelerator/kernels/index.ts';

/** A store that counts writes, so tests can show a refused call wrote nothing. */
export class CountingStore implements TensorStore {
  writes = 0;
  constructor(readonly inner: TensorStore) {}
  read(address: number, length: number): Uint8Array {
    return this.inner.read(address, length);
  }
  write(address: number, bytes: Uint8Array): void {
    this.writes++;
    this.inner.write(address, bytes);
  }
}

export function newStore(bytes = 1 << 16): CountingStore {
  return new CountingStore(new MemoryStore(bytes));
}

export function putF32(store: TensorStore, address: number, shape: number[], values: readonly number[]): TensorRef {
  store.write(address, new Uint8Array(Float32Array.from(values).buffer));
  return { address, shape };
}

export function putI32(store: TensorStore, address: number, values: readonly number[]): TensorRef {
  store.write(address, new Uint8Array(Int32Array.from(values).buffer));
  return { address, shape: [values.length] };
}

export function getF32(store: TensorStore, ref: TensorRef): Float32Array {
  const count = ref.shape.reduce((a, b) => a * b, 1);
  return new Float32Array(store.read(ref.address, count * 4).slice().buffer);
}

export function run(store: TensorStore, call: KernelCall): Float32Array {
  executeKernel(store, call);
  return getF32(store, call.output);
}

/** A small deterministic value stream for test tensors (not the code under test). */
export function values(count: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(Math.fround((s / 2 ** 32) * 2 - 1));
  }
  return out;
}
