// Runs one target: seeds first, then mutated inputs drawn from a seeded stream, each timed and classified. A crash
// or a hang writes the input as a reproducer (test/fuzz-corpus/<target>/<hash>.bin) that the corpus test replays.
// performance.now() is used here only: the fuzzer is a tool beside the emulator, like bench/.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sha256Hex } from '../src/crypto/index.ts';
import { EmuError } from '../src/errors.ts';
import { Prng } from '../src/sim/index.ts';
import { mutate } from './mutate.ts';
import type { FuzzTarget, TargetInstance, TargetReport, Verdict } from './types.ts';

export interface RunOptions {
  readonly iterations: number;
  readonly seed: number;
  /** Wall-time budget for this target; undefined = iterations only. */
  readonly secondsMax?: number;
  /** An input that takes longer than this is a hang. */
  readonly inputMsMax?: number;
  /** Heap growth over the target's run above this is a memory blow-up (counted as a crash). */
  readonly heapGrowthMbMax?: number;
  /** Where reproducers go; undefined = not written. */
  readonly corpusDir?: string;
  readonly progress?: (line: string) => void;
  /** Shared with the watchdog thread (cli.ts): the current input and a counter it expects to keep moving. */
  readonly watch?: Watch;
}

export interface Watch {
  /** [input counter, input length, target index, unused] */
  readonly header: Int32Array;
  readonly bytes: Uint8Array;
  readonly targetIndex: number;
}

function publish(watch: Watch, input: Uint8Array): void {
  const length = Math.min(input.length, watch.bytes.length);
  watch.bytes.set(input.subarray(0, length));
  Atomics.store(watch.header, 1, length);
  Atomics.store(watch.header, 2, watch.targetIndex);
  Atomics.add(watch.header, 0, 1);
}

export const INPUT_MS_MAX_DEFAULT = 2000;
export const HEAP_GROWTH_MB_MAX_DEFAULT = 512;
const CRASH_SAMPLES_MAX = 5;
/** One reproducer per distinct failure (message and where it was thrown), at most this many per target and run. */
const REPRODUCERS_PER_TARGET_MAX = 10;
const PROGRESS_EVERY_MS = 3000;

export type Outcome = { readonly kind: Verdict } | { readonly kind: 'crash'; readonly message: string };

/** One input through the target: a verdict, a typed refusal, or a crash (anything else that was thrown). */
export function classify(instance: TargetInstance, input: Uint8Array): Outcome {
  try {
    return { kind: instance.run(input) };
  } catch (error) {
    if (error instanceof EmuError) return { kind: 'typed' };
    const e = error as { name?: unknown; message?: unknown; stack?: unknown };
    const where = typeof e?.stack === 'string' ? e.stack.split('\n').slice(1, 3).map((l) => l.trim()).join(' ← ') : '';
    return { kind: 'crash', message: `${String(e?.name ?? typeof error)}: ${String(e?.message ?? error).slice(0, 300)} ${where}` };
  }
}

/** Saves `input` as a reproducer; the name is its content hash, so a crash found twice is one file. */
export function saveReproducer(corpusDir: string, target: string, input: Uint8Array): string {
  const dir = join(corpusDir, target);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${sha256Hex(input).slice(0, 16)}.bin`);
  if (!existsSync(path)) writeFileSync(path, input);
  return path;
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / (1024 * 1024);
}

export function runTarget(target: FuzzTarget, instance: TargetInstance, options: RunOptions): TargetReport {
  const inputMsMax = options.inputMsMax ?? INPUT_MS_MAX_DEFAULT;
  const heapMax = options.heapGrowthMbMax ?? HEAP_GROWTH_MB_MAX_DEFAULT;
  const draw = new Prng(options.seed, `fuzz/${target.name}`);
  const seeds = instance.seeds;
  const counts = { inputs: 0, typedErrors: 0, valid: 0, crashes: 0, hangs: 0 };
  const reproducers: string[] = [];
  const crashSamples: string[] = [];
  const heapStartMb = heapMb();
  const startMs = performance.now();
  let lastProgressMs = startMs;
  let stoppedBy: TargetReport['stoppedBy'] = 'iterations';
  const seen = new Set<string>();
  const keep = (input: Uint8Array, signature: string) => {
    if (options.corpusDir === undefined || seen.has(signature) || seen.size >= REPRODUCERS_PER_TARGET_MAX) return;
    seen.add(signature);
    reproducers.push(saveReproducer(options.corpusDir, target.name, input));
  };
  for (let i = 0; i < options.iterations; i++) {
    const nowMs = performance.now();
    if (options.secondsMax !== undefined && nowMs - startMs > options.secondsMax * 1000) {
      stoppedBy = 'seconds';
      break;
    }
    if (options.progress !== undefined && nowMs - lastProgressMs > PROGRESS_EVERY_MS) {
      lastProgressMs = nowMs;
      options.progress(`${target.name}: ${i}/${options.iterations} inputs, ${counts.crashes} crashes, ${((nowMs - startMs) / 1000).toFixed(0)} s`);
    }
    const input = i < seeds.length ? seeds[i]! : mutate(seeds[draw.below(seeds.length)]!, target.format, draw, seeds, target.recordFormat);
    if (options.watch !== undefined) publish(options.watch, input);
    const t0 = performance.now();
    const outcome = classify(instance, input);
    const tookMs = performance.now() - t0;
    counts.inputs++;
    if (outcome.kind === 'crash') {
      counts.crashes++;
      if (crashSamples.length < CRASH_SAMPLES_MAX && !seen.has(outcome.message)) crashSamples.push(outcome.message);
      keep(input, outcome.message);
    } else if (tookMs > inputMsMax) {
      counts.hangs++;
      if (crashSamples.length < CRASH_SAMPLES_MAX) crashSamples.push(`hang: ${tookMs.toFixed(0)} ms for a ${input.length}-byte input`);
      keep(input, 'hang');
    } else if (outcome.kind === 'valid') counts.valid++;
    else counts.typedErrors++;
  }
  const heapGrowthMb = Math.max(0, heapMb() - heapStartMb);
  if (heapGrowthMb > heapMax) {
    counts.crashes++;
    crashSamples.push(`memory: the heap grew by ${heapGrowthMb.toFixed(0)} MB over the run (bound ${heapMax} MB)`);
  }
  return {
    name: target.name,
    ...counts,
    seconds: Math.round(performance.now() - startMs) / 1000,
    heapGrowthMb: Math.round(heapGrowthMb),
    stoppedBy,
    reproducers: [...new Set(reproducers)],
    crashSamples,
  };
}
