// The fuzz watchdog (plain JS: it runs in a worker thread without the TypeScript loader). The harness runs inputs
// synchronously, so an input that never returns cannot be timed out from inside; this thread watches the input
// counter the harness bumps, and when it stalls saves the stuck input as a reproducer and ends the process.
import { mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';

const { shared, stallMs, corpusDir } = workerData;
const header = new Int32Array(shared, 0, 4); // [input counter, input length, target index, unused]
const bytes = new Uint8Array(shared, 16);
const targets = workerData.targets;
let last = Atomics.load(header, 0);
let sinceMs = 0;
const TICK_MS = 250;

/** FNV-1a 64 as 16 hex digits: a file name only (the harness names its reproducers by SHA-256 instead). */
function nameOf(input) {
  let hash = 0xcbf29ce484222325n;
  for (const byte of input) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}
setInterval(() => {
  const now = Atomics.load(header, 0);
  if (now !== last || now === 0) {
    last = now;
    sinceMs = 0;
    return;
  }
  sinceMs += TICK_MS;
  if (sinceMs < stallMs) return;
  const input = bytes.slice(0, Atomics.load(header, 1));
  const target = targets[Atomics.load(header, 2)] ?? 'unknown';
  let where = '(no corpus directory)';
  if (corpusDir) {
    const dir = join(corpusDir, target);
    mkdirSync(dir, { recursive: true });
    where = join(dir, `${nameOf(input)}.bin`);
    writeFileSync(where, input);
  }
  // fd 2 directly: a worker's process.stderr goes through the main thread, which is the one stuck.
  writeSync(2, `fuzz watchdog: ${target}: one input has run for over ${stallMs} ms (a hang); reproducer ${where}\n`);
  process.kill(process.pid, 'SIGKILL');
}, TICK_MS);
