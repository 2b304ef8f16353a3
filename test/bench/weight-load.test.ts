import { openSync, readSync, writeSync, closeSync, truncateSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../../bench/index.ts';
import { loadSealedModel } from '../../bench/weight-load-pipeline.ts';
import {
  type SealedModel,
  type WeightLayout,
  WeightSource,
  checkLayout,
  prepareSealedModel,
  removeSealedModel,
} from '../../bench/weight-load-model.ts';
import {
  WEIGHT_LOAD_SIZE_ENV,
  confidentialResult,
  rssResult,
  runWeightLoad,
  weightLoadBytesFromEnv,
} from '../../bench/weight-load.ts';
import { Sha256Stream } from '../../src/crypto/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/index.ts';

const MIB = 1024 * 1024;
const KIB = 1024;
const PAGE_BYTES = 4096;

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the load to fail');
}

describe('weight-load benchmark: a small run end to end', () => {
  it('loads 8 MiB through at-rest decrypt, bounce buffer and device decrypt; device memory holds exactly the weights', async () => {
    const layout = { sizeBytes: 8 * MIB, shardBytes: 2 * MIB, frameBytes: 256 * KIB };
    const run = await runWeightLoad({ ...layout, seed: 7 });
    // The weights the generator makes, hashed here without the pipeline.
    const source = new WeightSource(new Prng(7, 'bench/weight-load').bytes(32), layout.frameBytes);
    const expected = new Sha256Stream();
    for (let i = 0; i < layout.sizeBytes / layout.frameBytes; i++) expected.update(source.chunk(i, layout.frameBytes));
    expect(run.plaintextSha256Hex).toBe(expected.peekHex());
    expect(run.load.deviceSha256Hex).toBe(expected.peekHex());
    expect(run.load.loadedBytes).toBe(layout.sizeBytes);
    expect(run.load.chunks).toBe(32);
    expect(run.load.residentPages).toBe(layout.sizeBytes / PAGE_BYTES);
    expect(run.load.rssPeakBytes).toBeGreaterThanOrEqual(run.load.rssBaselineBytes);

    const speed = confidentialResult(run);
    expect(speed.value).toBeCloseTo(layout.sizeBytes / 1e6 / run.load.seconds, 6);
    expect(speed.ceiling).toBeCloseTo(run.ceiling.bytes / 1e6 / run.ceiling.seconds, 6);
    expect(run.ceiling.bytes).toBe(layout.sizeBytes);
    expect(speed.ratio).toBeCloseTo(speed.value / speed.ceiling, 9);
    expect(speed.bar).toBe(0.3);

    const memory = rssResult(run);
    expect(memory.value).toBeCloseTo((run.load.rssPeakBytes - run.load.rssBaselineBytes - layout.sizeBytes) / MIB, 9);
    expect(memory.ratio).toBeCloseTo(memory.value / 128, 9);
    expect(memory.unit).toContain('lower is better');
  });

  it('runs both registered benchmarks on the size the environment asks for', async () => {
    const before = process.env[WEIGHT_LOAD_SIZE_ENV];
    process.env[WEIGHT_LOAD_SIZE_ENV] = '8';
    try {
      for (const name of ['weight-load-confidential', 'weight-load-rss-overhead']) {
        const bench = BENCHMARKS.find((b) => b.name === name);
        expect(bench).toBeDefined();
        const result = await bench!.run(100);
        expect(result.name).toBe(name);
        expect(Number.isFinite(result.value) && Number.isFinite(result.ratio)).toBe(true);
        expect(result.ratio).toBeCloseTo(result.value / result.ceiling, 9);
      }
    } finally {
      if (before === undefined) delete process.env[WEIGHT_LOAD_SIZE_ENV];
      else process.env[WEIGHT_LOAD_SIZE_ENV] = before;
    }
  });
});

describe('weight-load benchmark: size and layout', () => {
  it('reads the size from the environment, 1 GiB by default, and refuses anything but whole MiB in bounds', () => {
    expect(weightLoadBytesFromEnv({})).toBe(1024 * MIB);
    expect(weightLoadBytesFromEnv({ [WEIGHT_LOAD_SIZE_ENV]: '8' })).toBe(8 * MIB);
    for (const bad of ['0', '4097', '1.5', '-8', '8MiB', ' 8']) {
      expect(() => weightLoadBytesFromEnv({ [WEIGHT_LOAD_SIZE_ENV]: bad })).toThrow(/BENCH_BAD_SIZE/);
    }
  });

  it('refuses shards that are not whole frames and frames the format cannot hold', () => {
    expect(() => checkLayout({ sizeBytes: MIB, shardBytes: 96 * KIB, frameBytes: 64 * KIB })).toThrow(/BENCH_BAD_LAYOUT/);
    expect(() => checkLayout({ sizeBytes: MIB, shardBytes: 4 * MIB, frameBytes: 2 * MIB })).toThrow(/BENCH_BAD_LAYOUT/);
    expect(() => checkLayout({ sizeBytes: 0, shardBytes: MIB, frameBytes: MIB })).toThrow(/BENCH_BAD_LAYOUT/);
    expect(() => checkLayout({ sizeBytes: MIB, shardBytes: 128 * KIB, frameBytes: 64 * KIB })).not.toThrow();
  });
});

describe('weight-load benchmark: the path refuses tampering', () => {
  const layout: WeightLayout = { sizeBytes: MIB, shardBytes: 256 * KIB, frameBytes: 64 * KIB };
  let model: SealedModel | undefined;

  function prepare(seed: number): { model: SealedModel; sessionSecret: Uint8Array; source: WeightSource } {
    const random = new Prng(seed, 'test/weight-load');
    const source = new WeightSource(random.bytes(32), layout.frameBytes);
    model = prepareSealedModel(layout, source, random);
    return { model, sessionSecret: random.bytes(48), source };
  }

  /** Device memory holding the first `chunks` chunks of the weights and zeros after them. */
  function memoryHashAfter(source: WeightSource, chunks: number): string {
    const hash = new Sha256Stream();
    for (let i = 0; i < chunks; i++) hash.update(source.chunk(i, layout.frameBytes));
    hash.update(new Uint8Array(layout.sizeBytes - chunks * layout.frameBytes));
    return hash.peekHex();
  }

  function detailsOf(error: unknown): { residentPages?: number; memorySha256Hex?: string } {
    return (error as { details?: { residentPages?: number; memorySha256Hex?: string } }).details ?? {};
  }

  afterEach(() => {
    if (model !== undefined) removeSealedModel(model);
    model = undefined;
  });

  function patchFile(path: string, at: number, edit: (bytes: Uint8Array) => void, length: number): void {
    const fd = openSync(path, 'r+');
    try {
      const bytes = new Uint8Array(length);
      readSync(fd, bytes, 0, length, at);
      edit(bytes);
      writeSync(fd, bytes, 0, length, at);
    } finally {
      closeSync(fd);
    }
  }

  it('loads the untouched model (the control for the cases below)', async () => {
    const { model: m, sessionSecret } = prepare(1);
    const load = await loadSealedModel(m, { sessionSecret });
    expect(load.deviceSha256Hex).toBe(m.plaintextSha256Hex);
    // Every page was reserved (zeroed) before the load, as device memory exists before weights arrive.
    expect(load.residentPages).toBe(layout.sizeBytes / PAGE_BYTES);
  });

  it('a flipped byte in the sealed file fails the at-rest frame tag', async () => {
    const { model: m, sessionSecret } = prepare(2);
    const inSecondShard = (m.shardSealedBytes[0] ?? 0) + 5000;
    patchFile(m.path, inSecondShard, (b) => { b[0] = (b[0] ?? 0) ^ 0x01; }, 1);
    const error = await failureOf(loadSealedModel(m, { sessionSecret }));
    expect(isEmuError(error, 'FRAME_AUTH_FAILED')).toBe(true);
  });

  it('two shards swapped in the file fail: each shard is bound to its index', async () => {
    const { model: m, sessionSecret } = prepare(3);
    const length = m.shardSealedBytes[0] ?? 0;
    expect(m.shardSealedBytes[1]).toBe(length);
    patchFile(m.path, 0, (b) => {
      const first = b.slice(0, length);
      b.copyWithin(0, length, 2 * length);
      b.set(first, length);
    }, 2 * length);
    const error = await failureOf(loadSealedModel(m, { sessionSecret }));
    expect(isEmuError(error, 'FRAME_AUTH_FAILED')).toBe(true);
  });

  it('a file cut short fails typed', async () => {
    const { model: m, sessionSecret } = prepare(4);
    const total = m.shardSealedBytes.reduce((a, b) => a + b, 0);
    truncateSync(m.path, total - 100);
    const error = await failureOf(loadSealedModel(m, { sessionSecret }));
    expect(isEmuError(error, 'BENCH_INPUT_SHORT')).toBe(true);
  });

  it('a byte the host flips in a bounce buffer fails the device tag and nothing from that buffer on is written', async () => {
    const { model: m, sessionSecret, source } = prepare(5);
    const error = await failureOf(
      loadSealedModel(m, {
        sessionSecret,
        // The default queue keeps chunks 4.. in flight behind the bad one: the device must drop them too.
        hostTamper: (index, staged) => {
          if (index === 3) staged[100] = (staged[100] ?? 0) ^ 0x80;
        },
      }),
    );
    expect(isEmuError(error, 'ACCEL_TAG_MISMATCH')).toBe(true);
    expect(detailsOf(error).memorySha256Hex).toBe(memoryHashAfter(source, 3));
    expect(detailsOf(error).memorySha256Hex).not.toBe(memoryHashAfter(source, 4));
  });

  it('a bounce buffer the host replays in place of the next fails: the device expects the next IV', async () => {
    const { model: m, sessionSecret, source } = prepare(6);
    let previous: Uint8Array | undefined;
    const error = await failureOf(
      loadSealedModel(m, {
        sessionSecret,
        queueChunksMax: 1,
        hostTamper: (index, staged) => {
          if (index === 2 && previous !== undefined) staged.set(previous);
          previous = staged.slice();
        },
      }),
    );
    expect(isEmuError(error, 'ACCEL_TAG_MISMATCH')).toBe(true);
    expect(detailsOf(error).memorySha256Hex).toBe(memoryHashAfter(source, 2));
  });
});
