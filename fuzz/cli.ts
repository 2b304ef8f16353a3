// `npm run fuzz -- --iterations N --seed S [--seconds S] [--only a,b] [--json] [--corpus DIR]`
// Deterministic from the seed. Progress goes to stderr; stdout carries the table or the --json object only.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { INPUT_MS_MAX_DEFAULT, type Watch, runTarget } from './harness.ts';
import { INPUT_BYTES_MAX } from './mutate.ts';
import { TARGETS } from './targets/index.ts';
import type { TargetReport } from './types.ts';

export interface FuzzArgs {
  readonly iterations: number;
  readonly seed: number;
  /** Per-target wall-time budget in seconds. */
  readonly seconds: number | undefined;
  readonly only: readonly string[] | undefined;
  readonly json: boolean;
  readonly corpusDir: string;
}

/**
 * Without --seconds the run shares one wall-time budget: each target may use what is left divided by the targets
 * still to run, so fast targets leave their time to slow ones and the whole run stays under the 10-minute bar.
 */
export const SECONDS_TOTAL_DEFAULT = 540;
const ITERATIONS_MAX = 100_000_000;
const DEFAULT_CORPUS = fileURLToPath(new URL('../test/fuzz-corpus', import.meta.url));

class UsageError extends Error {}

function intArg(name: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} needs an integer in ${min}..${max}, got ${text ?? 'nothing'}`);
  }
  return value;
}

export function parseFuzzArgs(argv: readonly string[]): FuzzArgs {
  let iterations = 1000;
  let seed = 1;
  let seconds: number | undefined;
  let only: string[] | undefined;
  let json = false;
  let corpusDir = DEFAULT_CORPUS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if (arg === '--json') json = true;
    else if (arg === '--iterations') (iterations = intArg(arg, value, 1, ITERATIONS_MAX)), i++;
    else if (arg === '--seed') (seed = intArg(arg, value, 0, Number.MAX_SAFE_INTEGER)), i++;
    else if (arg === '--seconds') (seconds = intArg(arg, value, 0, 86_400) || undefined), i++;
    else if (arg === '--corpus') {
      if (value === undefined) throw new UsageError('--corpus needs a directory');
      corpusDir = value;
      i++;
    } else if (arg === '--only') {
      if (value === undefined) throw new UsageError('--only needs a comma-separated list of targets');
      only = value.split(',').filter((s) => s.length > 0);
      const unknown = only.filter((name) => !TARGETS.some((t) => t.name === name));
      if (unknown.length > 0) throw new UsageError(`unknown target(s) ${unknown.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
      i++;
    } else throw new UsageError(`unknown argument ${arg}`);
  }
  return { iterations, seed, seconds, only, json, corpusDir };
}

/** An input still running after this long is a hang the harness cannot time out itself: the watchdog ends the run. */
export const WATCHDOG_STALL_MS = 15 * INPUT_MS_MAX_DEFAULT;

/** Starts the watchdog thread (watchdog-worker.mjs); returns what the harness shares with it. */
function startWatchdog(corpusDir: string): { watch: (targetIndex: number) => Watch; stop: () => void } {
  const shared = new SharedArrayBuffer(16 + INPUT_BYTES_MAX);
  const worker = new Worker(new URL('./watchdog-worker.mjs', import.meta.url), {
    workerData: { shared, stallMs: WATCHDOG_STALL_MS, corpusDir, targets: TARGETS.map((t) => t.name) },
  });
  worker.unref();
  const header = new Int32Array(shared, 0, 4);
  const bytes = new Uint8Array(shared, 16);
  return { watch: (targetIndex) => ({ header, bytes, targetIndex }), stop: () => void worker.terminate() };
}

export function runFuzz(args: FuzzArgs, log: (line: string) => void, watchdog?: ReturnType<typeof startWatchdog>): TargetReport[] {
  const reports: TargetReport[] = [];
  const chosen = TARGETS.filter((t) => args.only === undefined || args.only.includes(t.name));
  let sharedLeft = SECONDS_TOTAL_DEFAULT;
  for (const [index, target] of TARGETS.entries()) {
    if (!chosen.includes(target)) continue;
    log(`${target.name}: setting up`);
    const instance = target.setup();
    const secondsMax = args.seconds ?? Math.max(1, sharedLeft / (chosen.length - reports.length));
    const report = runTarget(target, instance, {
      iterations: args.iterations,
      seed: args.seed,
      secondsMax,
      corpusDir: args.corpusDir,
      progress: log,
      ...(watchdog === undefined ? {} : { watch: watchdog.watch(index) }),
    });
    log(
      `${target.name}: ${report.inputs} inputs in ${report.seconds} s (${report.stoppedBy === 'seconds' ? 'stopped by --seconds' : 'all iterations'}), ` +
        `${report.valid} valid, ${report.typedErrors} typed errors, ${report.crashes} crashes, ${report.hangs} hangs, heap +${report.heapGrowthMb} MB`,
    );
    for (const sample of report.crashSamples) log(`  ${sample}`);
    for (const path of report.reproducers) log(`  reproducer: ${path}`);
    reports.push(report);
    sharedLeft -= report.seconds;
  }
  return reports;
}

function table(reports: readonly TargetReport[]): string {
  const head = ['target', 'inputs', 'valid', 'typed', 'crashes', 'hangs', 'seconds', 'heap MB'];
  const rows = reports.map((r) => [r.name, r.inputs, r.valid, r.typedErrors, r.crashes, r.hangs, r.seconds, r.heapGrowthMb].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [head, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n');
}

export function main(argv: readonly string[]): number {
  let args: FuzzArgs;
  try {
    args = parseFuzzArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`fuzz: ${error.message}\n`);
    return 2;
  }
  const watchdog = startWatchdog(args.corpusDir);
  const reports = runFuzz(args, (line) => process.stderr.write(`${line}\n`), watchdog);
  watchdog.stop();
  if (args.json) {
    const targets = reports.map(({ name, inputs, typedErrors, valid, crashes, hangs, seconds, heapGrowthMb, stoppedBy }) => ({
      name, inputs, typedErrors, valid, crashes, hangs, seconds, heapGrowthMb, stoppedBy,
    }));
    process.stdout.write(`${JSON.stringify({ seed: args.seed, iterations: args.iterations, targets })}\n`);
  } else process.stdout.write(`${table(reports)}\n`);
  return reports.some((r) => r.crashes > 0 || r.hangs > 0) ? 1 : 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
