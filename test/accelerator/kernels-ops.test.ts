import { describe, expect, it } from 'vitest';
import { ProtectedMemory } from '../../src/accelerator/index.ts';
import { type KernelCall, executeKernel } from '../../src/accelerator/kernels/index.ts';
import { expDet, tanhDet } from '../../src/accelerator/kernels/det-math.ts';
import { isEmuError } from '../../src/errors.ts';
import { CountingStore, getF32, newStore, putF32, putI32, run, values } from './kernels-helpers.ts';

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isEmuError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
}

describe('matmul', () => {
  it('computes a 2×3 · 3×2 product with bias, even from unaligned addresses', () => {
    const a = [1, 2, 3, 4, 5, 6];
    const b = [7, 8, 9, 10, 11, 12];
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        let sum = 0;
        for (let p = 0; p < 3; p++) sum += a[i * 3 + p]! * b[p * 2 + j]!;
        expected.push(sum + [0.5, -1][j]!);
      }
    }
    for (const base of [0, 2]) {
      const store = newStore();
      const call: KernelCall = {
        kernel: 'matmul',
        inputs: [putF32(store, base + 0, [2, 3], a), putF32(store, base + 64, [3, 2], b), putF32(store, base + 128, [2], [0.5, -1])],
        output: { address: base + 256, shape: [2, 2] },
      };
      expect(Array.from(run(store, call))).toEqual(expected);
      expect(expected).toEqual([58.5, 63, 139.5, 153]);
    }
  });

  it('rounds to float32 after each multiply-add, summing k in increasing order, bias last', () => {
    for (const [m, k, n] of [[3, 7, 5], [2, 8, 3], [1, 1, 1], [4, 13, 9]] as const) {
      const a = values(m * k, m + k);
      const b = values(k * n, k * n);
      const bias = values(n, n);
      const want: number[] = [];
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) acc = Math.fround(acc + a[i * k + p]! * b[p * n + j]!);
          want.push(Math.fround(acc + bias[j]!));
        }
      }
      const store = newStore();
      const got = run(store, {
        kernel: 'matmul',
        inputs: [putF32(store, 0, [m, k], a), putF32(store, 4096, [k, n], b), putF32(store, 8192, [n], bias)],
        output: { address: 12288, shape: [m, n] },
      });
      expect(Array.from(got)).toEqual(want);
    }
  });

  it('reports its cost', () => {
    const store = newStore();
    const cost = executeKernel(store, {
      kernel: 'matmul',
      inputs: [putF32(store, 0, [2, 3], values(6, 1)), putF32(store, 64, [3, 4], values(12, 2))],
      output: { address: 256, shape: [2, 4] },
    });
    expect(cost).toEqual({ flops: 2 * 2 * 3 * 4, bytes: 4 * (6 + 12 + 8) });
  });

  it('gives the same bits on device memory as on plain memory', () => {
    const plain = newStore();
    const device = new CountingStore(new ProtectedMemory(1 << 16));
    const outs = [plain, device].map((store) => run(store, {
      kernel: 'matmul',
      inputs: [putF32(store, 4, [5, 7], values(35, 3)), putF32(store, 8192, [7, 3], values(21, 4)), putF32(store, 9000, [3], values(3, 5))],
      output: { address: 4093, shape: [5, 3] }, // straddles a page boundary, unaligned
    }));
    expect(Buffer.from(outs[0]!.buffer).equals(Buffer.from(outs[1]!.buffer))).toBe(true);
  });
});

describe('pointwise kernels', () => {
  it('adds elementwise, in place too', () => {
    const store = newStore();
    const a = putF32(store, 0, [2, 2], [1, 2, 3, 4]);
    const b = putF32(store, 64, [2, 2], [0.5, -2, 10, 0.25]);
    expect(Array.from(run(store, { kernel: 'add', inputs: [a, b], output: a }))).toEqual([1.5, 0, 13, 4.25]);
  });

  it('gelu follows the tanh approximation', () => {
    const xs = [-6, -1.5, -0.3, 0, 1e-6, 0.7, 2, 9];
    const store = newStore();
    const out = run(store, { kernel: 'gelu', inputs: [putF32(store, 0, [8], xs)], output: { address: 64, shape: [8] } });
    xs.forEach((x, i) => {
      const x32 = Math.fround(x);
      const want = 0.5 * x32 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x32 + 0.044715 * x32 ** 3)));
      expect(Math.abs(out[i]! - want)).toBeLessThanOrEqual(Math.abs(want) * 1e-6 + 1e-12);
    });
    expect(out[3]).toBe(0);
    expect(out[7]).toBe(9);
  });

  it('layernorm gives rows of mean 0 and variance 1, then applies gamma and beta', () => {
    const store = newStore();
    const x = putF32(store, 0, [2, 4], [1, 2, 3, 4, -10, 0, 10, 20]);
    const ones = putF32(store, 64, [4], [1, 1, 1, 1]);
    const zeros = putF32(store, 96, [4], [0, 0, 0, 0]);
    const out = run(store, { kernel: 'layernorm', inputs: [x, ones, zeros], output: { address: 128, shape: [2, 4] }, params: { eps: 1e-6 } });
    for (let r = 0; r < 2; r++) {
      const row = Array.from(out.subarray(r * 4, r * 4 + 4));
      const mean = row.reduce((s, v) => s + v, 0) / 4;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / 4;
      expect(Math.abs(mean)).toBeLessThan(1e-6);
      expect(Math.abs(variance - 1)).toBeLessThan(1e-5);
    }
    // Row 0 by hand: mean 2.5, variance 1.25.
    expect(out[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25 + 1e-6), 6);
    const gamma = putF32(store, 64, [4], [2, 2, 2, 2]);
    const beta = putF32(store, 96, [4], [1, 1, 1, 1]);
    const scaled = run(store, { kernel: 'layernorm', inputs: [x, gamma, beta], output: { address: 256, shape: [2, 4] }, params: { eps: 1e-6 } });
    scaled.forEach((v, i) => expect(v).toBeCloseTo(2 * out[i]! + 1, 6));
  });

  it('softmax rows sum to 1, ignore a constant shift and never overflow', () => {
    const store = newStore();
    const x = putF32(store, 0, [3, 3], [1, 2, 3, 101, 102, 103, 1000, 1000, -1000]);
    const out = run(store, { kernel: 'softmax', inputs: [x], output: { address: 64, shape: [3, 3] } });
    for (let r = 0; r < 3; r++) expect(out[r * 3]! + out[r * 3 + 1]! + out[r * 3 + 2]!).toBeCloseTo(1, 6);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const total = e[0]! + e[1]! + e[2]!;
    e.forEach((v, j) => expect(out[j]).toBeCloseTo(v / total, 7));
    expect(Array.from(out.subarray(3, 6))).toEqual(Array.from(out.subarray(0, 3)));
    expect(Array.from(out.subarray(6, 9))).toEqual([0.5, 0.5, 0]);
  });

  it('deterministic exp and tanh track Math.exp and Math.tanh to double precision', () => {
    for (let x = -740; x <= 709; x += 0.731) {
      expect(Math.abs(expDet(x) - Math.exp(x))).toBeLessThanOrEqual(Math.exp(x) * 4e-16);
    }
    for (let u = -25; u <= 25; u += 0.0173) {
      expect(Math.abs(tanhDet(u) - Math.tanh(u))).toBeLessThanOrEqual(1e-15);
    }
    expect(expDet(0)).toBe(1);
    expect(expDet(-800)).toBe(0);
    expect(expDet(800)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('embed', () => {
  it('adds the token row and the position row', () => {
    const store = newStore();
    const ids = putI32(store, 0, [2, 0, 2]);
    const table = putF32(store, 64, [3, 2], [10, 11, 20, 21, 30, 31]);
    const position = putF32(store, 128, [4, 2], [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
    const out = run(store, { kernel: 'embed', inputs: [ids, table, position], output: { address: 256, shape: [3, 2] } });
    expect(Array.from(out)).toEqual([30.5, 32, 11.5, 13, 32.5, 34]);
  });

  it('refuses a token outside the vocabulary and writes nothing', () => {
    const store = newStore();
    const ids = putI32(store, 0, [1, 3]);
    const table = putF32(store, 64, [3, 2], values(6, 1));
    const position = putF32(store, 128, [2, 2], values(4, 2));
    store.writes = 0;
    expectCode(() => executeKernel(store, { kernel: 'embed', inputs: [ids, table, position], output: { address: 256, shape: [2, 2] } }), 'KERNEL_BAD_INPUT');
    putI32(store, 0, [1, -1]);
    store.writes = 0;
    expectCode(() => executeKernel(store, { kernel: 'embed', inputs: [ids, table, position], output: { address: 256, shape: [2, 2] } }), 'KERNEL_BAD_INPUT');
    expect(store.writes).toBe(0);
  });
});

describe('causal attention', () => {
  it('row 0 is v0; row 1 mixes v0 and v1 by softmax of scaled scores', () => {
    const store = newStore();
    const q = [1, 0, 0.5, 2];
    const k = [1, 1, -1, 0.5];
    const v = [3, -1, 5, 7];
    const out = run(store, {
      kernel: 'attention',
      inputs: [putF32(store, 0, [2, 2], q), putF32(store, 64, [2, 2], k), putF32(store, 128, [2, 2], v)],
      output: { address: 192, shape: [2, 2] },
      params: { heads: 1 },
    });
    expect(Array.from(out.subarray(0, 2))).toEqual([3, -1]);
    const s0 = (0.5 * 1 + 2 * 1) / Math.SQRT2;
    const s1 = (0.5 * -1 + 2 * 0.5) / Math.SQRT2;
    const p0 = Math.exp(s0) / (Math.exp(s0) + Math.exp(s1));
    expect(out[2]).toBeCloseTo(p0 * 3 + (1 - p0) * 5, 5);
    expect(out[3]).toBeCloseTo(p0 * -1 + (1 - p0) * 7, 5);
  });

  it('a later token never changes an earlier row; heads stay separate', () => {
    const seq = 4;
    const dim = 8;
    const attend = (k: number[], v: number[]): Float32Array => {
      const store = newStore();
      return run(store, {
        kernel: 'attention',
        inputs: [putF32(store, 0, [seq, dim], values(32, 7)), putF32(store, 256, [seq, dim], k), putF32(store, 512, [seq, dim], v)],
        output: { address: 1024, shape: [seq, dim] },
        params: { heads: 2 },
      });
    };
    const k = values(32, 8);
    const v = values(32, 9);
    const before = attend(k, v);
    const k2 = [...k];
    const v2 = [...v];
    for (let d = 0; d < dim; d++) {
      k2[dim + d] = k2[dim + d]! + 0.75; // token 1
      v2[dim + d] = v2[dim + d]! - 0.5;
    }
    const after = attend(k2, v2);
    expect(Array.from(after.subarray(0, dim))).toEqual(Array.from(before.subarray(0, dim)));
    expect(Array.from(after.subarray(dim, 2 * dim))).not.toEqual(Array.from(before.subarray(dim, 2 * dim)));
    // Perturb only head 1's columns (4..7) of token 0: head 0's columns of every row stay as they were.
    const v3 = [...v];
    for (let d = 4; d < 8; d++) v3[d] = v3[d]! + 1;
    const headOnly = attend(k, v3);
    for (let t = 0; t < seq; t++) {
      expect(Array.from(headOnly.subarray(t * dim, t * dim + 4))).toEqual(Array.from(before.subarray(t * dim, t * dim + 4)));
      expect(Array.from(headOnly.subarray(t * dim + 4, t * dim + 8))).not.toEqual(Array.from(before.subarray(t * dim + 4, t * dim + 8)));
    }
  });
});

describe('refused calls write nothing', () => {
  const store = newStore(1 << 14);
  const m23 = putF32(store, 0, [2, 3], values(6, 1));
  const m32 = putF32(store, 64, [3, 2], values(6, 2));
  const m22 = putF32(store, 128, [2, 2], values(4, 3));
  const v2 = putF32(store, 192, [2], [1, 2]);
  const v3 = putF32(store, 224, [3], [1, 2, 3]);
  const out22 = { address: 512, shape: [2, 2] };
  const cases: [string, KernelCall, string][] = [
    ['matmul inner mismatch', { kernel: 'matmul', inputs: [m23, m23], output: out22 }, 'KERNEL_BAD_SHAPE'],
    ['matmul bias length', { kernel: 'matmul', inputs: [m23, m32, v3], output: out22 }, 'KERNEL_BAD_SHAPE'],
    ['matmul output shape', { kernel: 'matmul', inputs: [m23, m32], output: { address: 512, shape: [2, 3] } }, 'KERNEL_BAD_SHAPE'],
    ['matmul rank', { kernel: 'matmul', inputs: [v2, m22], output: out22 }, 'KERNEL_BAD_SHAPE'],
    ['add mismatch', { kernel: 'add', inputs: [m23, m32], output: { address: 512, shape: [2, 3] } }, 'KERNEL_BAD_SHAPE'],
    ['gelu output', { kernel: 'gelu', inputs: [m23], output: out22 }, 'KERNEL_BAD_SHAPE'],
    ['softmax output', { kernel: 'softmax', inputs: [m23], output: { address: 512, shape: [6] } }, 'KERNEL_BAD_SHAPE'],
    ['layernorm gamma', { kernel: 'layernorm', inputs: [m23, v2, v3], output: { address: 512, shape: [2, 3] } }, 'KERNEL_BAD_SHAPE'],
    ['layernorm eps', { kernel: 'layernorm', inputs: [m22, v2, v2], output: out22, params: { eps: 0 } }, 'KERNEL_BAD_PARAM'],
    ['attention heads', { kernel: 'attention', inputs: [m23, m23, m23], output: { address: 512, shape: [2, 3] }, params: { heads: 2 } }, 'KERNEL_BAD_PARAM'],
    ['attention no heads', { kernel: 'attention', inputs: [m22, m22, m22], output: out22 }, 'KERNEL_BAD_PARAM'],
    ['unknown param', { kernel: 'add', inputs: [m22, m22], output: out22, params: { heads: 1 } }, 'KERNEL_BAD_PARAM'],
    ['arity', { kernel: 'add', inputs: [m22], output: out22 }, 'KERNEL_BAD_ARITY'],
    ['unknown kernel', { kernel: 'conv' as 'add', inputs: [m22], output: out22 }, 'KERNEL_UNKNOWN'],
    ['fractional dim', { kernel: 'gelu', inputs: [{ address: 0, shape: [1.5] }], output: { address: 512, shape: [1.5] } }, 'KERNEL_BAD_SHAPE'],
    ['rank 5', { kernel: 'gelu', inputs: [{ address: 0, shape: [1, 1, 1, 1, 1] }], output: { address: 512, shape: [1, 1, 1, 1, 1] } }, 'KERNEL_BAD_SHAPE'],
    ['over 64 Mi elements', { kernel: 'gelu', inputs: [{ address: 0, shape: [8192, 8193] }], output: { address: 0, shape: [8192, 8193] } }, 'KERNEL_BAD_SHAPE'],
    ['negative address', { kernel: 'gelu', inputs: [{ address: -4, shape: [2] }], output: { address: 512, shape: [2] } }, 'KERNEL_BAD_ADDRESS'],
    ['read past memory', { kernel: 'gelu', inputs: [{ address: (1 << 14) - 4, shape: [2] }], output: { address: 512, shape: [2] } }, 'KERNEL_BAD_ADDRESS'],
    ['write past memory', { kernel: 'gelu', inputs: [v2], output: { address: (1 << 14) - 4, shape: [2] } }, 'KERNEL_BAD_ADDRESS'],
  ];
  for (const [name, call, code] of cases) {
    it(`${name}: ${code}`, () => {
      const before = store.read(0, 1 << 14);
      store.writes = 0;
      expectCode(() => executeKernel(store, call), code);
      expect(Buffer.from(store.read(0, 1 << 14)).equals(Buffer.from(before))).toBe(true);
    });
  }

  it('an output range outside device memory leaves ProtectedMemory untouched', () => {
    const memory = new ProtectedMemory(8192);
    const ref = putF32(memory, 0, [4], [1, 2, 3, 4]);
    expectCode(() => executeKernel(memory, { kernel: 'gelu', inputs: [ref], output: { address: 8190, shape: [4] } }), 'ACCEL_BAD_ADDRESS');
    expect(memory.residentPages()).toBe(1);
    expect(Array.from(getF32(memory, ref))).toEqual([1, 2, 3, 4]);
  });
});
