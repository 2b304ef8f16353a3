/**
 * `npm run mutants -- [--json] [--only ID]`: plants each deliberate bug of mutant-list.ts in turn, runs the test
 * files named for it, and restores the file. A mutant under which every named test still passes "survived": a
 * missing test. Exit 0 iff every mutant was killed; 1 if one survived; 2 on a usage error, a stale mutant or a file
 * that could not be restored; 3 if a mutant was skipped (its file has someone's uncommitted edits).
 *
 * The source file really is rewritten for the run (other engineers' test runs could see it), so each window is as
 * short as one vitest run, the original bytes go back in a finally and on SIGINT/SIGTERM, and git must show the
 * file clean afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMutant, MUTANTS, type Mutant } from './mutant-list.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Generous for a few test files on a loaded 2-core machine; a mutant that hangs the tests counts as killed. */
const RUN_TIMEOUT_MS = 240_000;

type Outcome = 'killed' | 'survived' | 'skipped' | 'timeout';
interface Result {
  readonly id: string;
  readonly outcome: Outcome;
  readonly seconds: number;
  readonly note: string;
}

/** The one mutated file, its original bytes and what was written, while a mutant is in place (for the signal handlers). */
let planted: { readonly path: string; readonly original: Buffer; readonly mutated: string; readonly mutant: Mutant } | undefined;
let child: ChildProcess | undefined;

function restorePlanted(): void {
  if (planted === undefined) return;
  const { path, original, mutated, mutant } = planted;
  planted = undefined;
  const current = readFileSync(path, 'utf8');
  if (current === mutated) {
    writeFileSync(path, original);
    return;
  }
  // Someone saved the file during the window: undo only the mutation so their edit survives, when it can be found.
  const at = mutant.replace === '' ? -1 : current.indexOf(mutant.replace);
  if (at >= 0 && current.indexOf(mutant.replace, at + 1) < 0) {
    writeFileSync(path, current.slice(0, at) + mutant.find + current.slice(at + mutant.replace.length));
    process.stderr.write(`mutants: ${mutant.file} changed during the run; reverted only the mutation, kept the other edits\n`);
    return;
  }
  writeFileSync(path, original);
  process.stderr.write(`mutants: WARNING ${mutant.file} changed during the run and the mutation could not be isolated; restored the original (edits made during the run are lost)\n`);
}

function onSignal(signal: NodeJS.Signals): void {
  child?.kill('SIGTERM');
  restorePlanted();
  process.stderr.write(`mutants: ${signal}: restored the mutated file\n`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function gitDirty(file: string): string {
  const status = spawnSync('git', ['status', '--porcelain', '--', file], { cwd: ROOT, encoding: 'utf8' });
  if (status.status !== 0) throw new Error(`git status failed: ${status.stderr}`);
  return status.stdout.trim();
}

function runTests(tests: readonly string[]): Promise<{ code: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const vitest = join(ROOT, 'node_modules', '.bin', 'vitest');
    const proc = spawn(vitest, ['run', '--reporter=dot', '--bail=1', ...tests], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    const keep = (chunk: Buffer) => {
      // Only the tail is ever shown; bound what is held.
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGTERM');
    }, RUN_TIMEOUT_MS);
    proc.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    proc.on('close', (code) => {
      clearTimeout(timer);
      child = undefined;
      resolvePromise({ code, timedOut, output });
    });
  });
}

function failedTestNames(output: string): string {
  const names = [...output.matchAll(/FAIL\s+(\S+\.test\.ts)[^\n]*/g)].map((m) => m[0].trim());
  return [...new Set(names)].slice(0, 3).join('; ');
}

async function runMutant(mutant: Mutant): Promise<Result> {
  const path = join(ROOT, mutant.file);
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  const dirty = gitDirty(mutant.file);
  if (dirty !== '') return { id: mutant.id, outcome: 'skipped', seconds: 0, note: `${mutant.file} has uncommitted changes (${dirty}); not touched` };
  const original = readFileSync(path);
  const mutated = applyMutant(mutant, original.toString('utf8'));
  let run: Awaited<ReturnType<typeof runTests>>;
  try {
    planted = { path, original, mutated, mutant };
    writeFileSync(path, mutated);
    run = await runTests(mutant.tests);
  } finally {
    restorePlanted();
  }
  const after = readFileSync(path);
  if (!after.equals(original)) {
    // Only acceptable when another engineer's edit was kept: the mutation itself must be gone.
    if (after.toString('utf8').includes(mutant.replace) && mutant.replace !== '' && !original.toString('utf8').includes(mutant.replace)) {
      throw new Error(`${mutant.file} still holds the mutation after restoring it: check it by hand`);
    }
  } else if (gitDirty(mutant.file) !== '') {
    throw new Error(`${mutant.file} is not clean after restoring it: check it by hand`);
  }
  if (run.timedOut) return { id: mutant.id, outcome: 'timeout', seconds: seconds(), note: `tests did not finish in ${RUN_TIMEOUT_MS / 1000} s` };
  if (run.code === 0) return { id: mutant.id, outcome: 'survived', seconds: seconds(), note: `all of ${mutant.tests.join(', ')} passed` };
  return { id: mutant.id, outcome: 'killed', seconds: seconds(), note: failedTestNames(run.output) || `vitest exit ${run.code}` };
}

function parseArgs(argv: readonly string[]): { json: boolean; only: string | undefined } {
  let json = false;
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--only' && argv[i + 1] !== undefined) only = argv[++i];
    else if (arg !== undefined && arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else throw new Error(`unknown argument ${arg}; usage: npm run mutants -- [--json] [--only ID]`);
  }
  return { json, only };
}

function table(results: readonly Result[]): string {
  const width = Math.max(...results.map((r) => r.id.length), 2);
  const lines = results.map((r) => `${r.id.padEnd(width)}  ${r.outcome.padEnd(8)}  ${String(r.seconds).padStart(6)} s  ${r.note}`);
  return [`${'id'.padEnd(width)}  ${'outcome'.padEnd(8)}  ${'time'.padStart(8)}  detail`, ...lines].join('\n');
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  // --only takes one id or a comma-separated list.
  const wanted = options.only?.split(',');
  const unknown = wanted?.filter((id) => !MUTANTS.some((m) => m.id === id)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`no mutant named ${unknown.join(', ')}; known: ${MUTANTS.map((m) => m.id).join(', ')}\n`);
    return 2;
  }
  const chosen = wanted === undefined ? MUTANTS : MUTANTS.filter((m) => wanted.includes(m.id));
  // Every mutant must still apply before any file is touched: a stale list is an error, not a pass.
  for (const mutant of chosen) applyMutant(mutant, readFileSync(join(ROOT, mutant.file), 'utf8'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const results: Result[] = [];
  for (const mutant of chosen) {
    if (!options.json) process.stderr.write(`mutant ${mutant.id} (${mutant.file}) ...\n`);
    const result = await runMutant(mutant);
    if (!options.json) process.stderr.write(`  ${result.outcome} in ${result.seconds} s\n`);
    results.push(result);
  }
  const survived = results.filter((r) => r.outcome === 'survived').map((r) => r.id);
  const skipped = results.filter((r) => r.outcome === 'skipped').map((r) => r.id);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ mutants: results.length, survived, skipped, results })}\n`);
  } else {
    process.stdout.write(`${table(results)}\n\n${results.length} mutants, ${survived.length} survived${skipped.length > 0 ? `, ${skipped.length} skipped` : ''}\n`);
    process.stdout.write(`${JSON.stringify({ mutants: results.length, survived })}\n`);
  }
  if (survived.length > 0) return 1;
  return skipped.length > 0 ? 3 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    restorePlanted();
    process.stderr.write(`mutants: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
