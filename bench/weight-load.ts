import { aes256GcmSeal, wipe } from '../src/crypto/index.ts';
import { EmuError } from '../src/errors.ts';
import { Prng } from '../src/sim/index.ts';
import type { BenchResult } from './types.ts';
import { type LoadResult, loadSealedModel } from './weight-load-pipeline.ts';
import {
  FRAME_BYTES_DEFAULT,
  MIB,
  SHARD_BYTES_DEFAULT,
  type WeightLayout,
  WeightSource,
  chunkLengths,
  checkLayout,
  prepareSealedModel,
  removeSealedModel,
} from './weight-load-model.ts';

/**
 * The confidential weight load, measured on real bytes (wall time, unlike the device's virtual-time cost model).
 * One run feeds both benchmarks: throughput against node's single-pass AES-256-GCM on the same chunks (three AEAD
 * passes over two cores: 0.33 is one core's ceiling), and the resident memory it needed beyond the device's own.
 * The size comes from NITRO_EMU_WEIGHT_LOAD_MIB (default 1024), not from the time budget: the point is a whole model.
 */
export const WEIGHT_LOAD_SIZE_ENV = 'NITRO_EMU_WEIGHT_LOAD_MIB';
export const WEIGHT_LOAD_MIB_DEFAULT = 1024;
const WEIGHT_LOAD_MIB_MAX = 4096;
export const RSS_OVERHEAD_MIB_CEILING = 128;
const PROGRESS_STEP_BYTES = 128 * MIB;
const MB = 1e6;

export function weightLoadBytesFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const text = env[WEIGHT_LOAD_SIZE_ENV];
  if (text === undefined || text === '') return WEIGHT_LOAD_MIB_DEFAULT * MIB;
  const mib = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(mib >= 1 && mib <= WEIGHT_LOAD_MIB_MAX)) {
    throw new EmuError('BENCH_BAD_SIZE', `${WEIGHT_LOAD_SIZE_ENV} must be a whole number of MiB in 1..${WEIGHT_LOAD_MIB_MAX}`, { value: text });
  }
  return mib * MIB;
}

export interface Throughput {
  readonly bytes: number;
  readonly seconds: number;
}

export interface WeightLoadRun {
  readonly layout: WeightLayout;
  readonly load: LoadResult;
  readonly ceiling: Throughput;
  readonly plaintextSha256Hex: string;
}

export interface WeightLoadOptions {
  readonly sizeBytes: number;
  readonly shardBytes?: number;
  readonly frameBytes?: number;
  readonly seed?: number;
  readonly progress?: (line: string) => void;
}

/**
 * node's one AES-256-GCM pass over the same weight chunks, same sizes, timed per seal call (making the chunk is not
 * timed). Runs a slice of the chunk schedule so halves can bracket the load and share its machine noise.
 */
function measureCeiling(layout: WeightLayout, source: WeightSource, key: Uint8Array, part: 0 | 1): Throughput {
  let bytes = 0;
  let ms = 0;
  let index = 0;
  const iv = new Uint8Array(12);
  for (const length of chunkLengths(layout)) {
    const mine = index % 2 === part;
    if (mine) {
      const chunk = source.chunk(index, length);
      new DataView(iv.buffer).setUint32(8, index);
      const start = performance.now();
      aes256GcmSeal(key, iv, chunk);
      ms += performance.now() - start;
      bytes += length;
      wipe(chunk);
    }
    index++;
  }
  return { bytes, seconds: ms / 1000 };
}

export async function runWeightLoad(options: WeightLoadOptions): Promise<WeightLoadRun> {
  const layout: WeightLayout = {
    sizeBytes: options.sizeBytes,
    shardBytes: options.shardBytes ?? SHARD_BYTES_DEFAULT,
    frameBytes: options.frameBytes ?? FRAME_BYTES_DEFAULT,
  };
  checkLayout(layout);
  const random = new Prng(options.seed ?? 1, 'bench/weight-load');
  const source = new WeightSource(random.bytes(32), layout.frameBytes);
  const ceilingKey = random.bytes(32);
  const sessionSecret = random.bytes(48);
  const progress = options.progress;
  const totalMiB = Math.round(layout.sizeBytes / MIB);
  const stepper = (verb: string) => {
    let next = PROGRESS_STEP_BYTES;
    return (bytes: number) => {
      if (progress === undefined || bytes < next) return;
      next = (Math.floor(bytes / PROGRESS_STEP_BYTES) + 1) * PROGRESS_STEP_BYTES;
      progress(`weight-load: ${verb} ${Math.round(bytes / MIB)}/${totalMiB} MiB`);
    };
  };
  const model = prepareSealedModel(layout, source, random, stepper('sealed on disk'));
  try {
    const first = measureCeiling(layout, source, ceilingKey, 0);
    const load = await loadSealedModel(model, { sessionSecret, onWritten: stepper('in device memory') });
    const second = measureCeiling(layout, source, ceilingKey, 1);
    if (load.deviceSha256Hex !== model.plaintextSha256Hex) {
      throw new EmuError('BENCH_WEIGHTS_MISMATCH', 'device memory does not hold the plaintext weights', {
        expected: model.plaintextSha256Hex,
        found: load.deviceSha256Hex,
      });
    }
    return {
      layout,
      load,
      ceiling: { bytes: first.bytes + second.bytes, seconds: first.seconds + second.seconds },
      plaintextSha256Hex: model.plaintextSha256Hex,
    };
  } finally {
    removeSealedModel(model);
    wipe(sessionSecret);
  }
}

const mib = (bytes: number) => Math.round(bytes / MIB);
const signedMib = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mib(bytes)}`;

function loadDetail(run: WeightLoadRun): string {
  const { load, layout } = run;
  return [
    `${mib(load.loadedBytes)} MiB in ${load.seconds.toFixed(2)} s as ${load.chunks} chunks of ${layout.frameBytes / 1024} KiB, sealed in ${mib(layout.shardBytes)} MiB shards; ` +
      `device memory reserved (zeroed) first in ${load.reserveSeconds.toFixed(2)} s, not timed`,
    `RSS ${signedMib(load.rssPeakBytes - load.rssBaselineBytes)} MiB at peak, of which device pages ${mib(load.residentPages * 4096)} MiB and device JS heap ` +
      `(page objects) ${signedMib(load.deviceHeapGrowthBytes)} MiB; starting the device thread added ${mib(load.deviceThreadRssBytes)} MiB before the baseline`,
  ].join('\n');
}

export function confidentialResult(run: WeightLoadRun): BenchResult {
  const value = run.load.loadedBytes / MB / run.load.seconds;
  const ceiling = run.ceiling.bytes / MB / run.ceiling.seconds;
  return {
    name: 'weight-load-confidential',
    value,
    unit: 'MB/s',
    ceiling,
    ceilingMeaning: `node's single-pass AES-256-GCM MB/s over the same ${run.layout.frameBytes / 1024} KiB chunks (the load makes three passes on two threads)`,
    ratio: value / ceiling,
    bar: 0.3,
    detail: loadDetail(run),
  };
}

/** Resident growth beyond the pages the device memory holds: the pipeline's buffers, queues and page bookkeeping. */
export function rssOverheadMiB(load: LoadResult): number {
  return (load.rssPeakBytes - load.rssBaselineBytes - load.residentPages * 4096) / MIB;
}

export function rssResult(run: WeightLoadRun): BenchResult {
  const value = rssOverheadMiB(run.load);
  return {
    name: 'weight-load-rss-overhead',
    value,
    unit: 'MiB (lower is better)',
    ceiling: RSS_OVERHEAD_MIB_CEILING,
    ceilingMeaning: `LOWER IS BETTER: peak RSS growth during the ${Math.round(run.layout.sizeBytes / MIB)} MiB load minus the device memory's pages, against a ${RSS_OVERHEAD_MIB_CEILING} MiB budget (ratio ≤ 1 is within it)`,
    ratio: value / RSS_OVERHEAD_MIB_CEILING,
    detail: loadDetail(run),
  };
}

// Both benchmarks read one run, so `bench` loads the model once even when it reports both.
let shared: { readonly sizeBytes: number; readonly run: Promise<WeightLoadRun> } | undefined;

function sharedRun(): Promise<WeightLoadRun> {
  const sizeBytes = weightLoadBytesFromEnv();
  if (shared?.sizeBytes !== sizeBytes) {
    shared = { sizeBytes, run: runWeightLoad({ sizeBytes, progress: (line) => process.stderr.write(`${line}\n`) }) };
  }
  return shared.run;
}

export async function benchWeightLoadConfidential(): Promise<BenchResult> {
  return confidentialResult(await sharedRun());
}

export async function benchWeightLoadRssOverhead(): Promise<BenchResult> {
  return rssResult(await sharedRun());
}
