// The watchdog ends a run whose current input never returns (an infinite loop the synchronous harness cannot
// time out) and leaves that input behind as a reproducer.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const WORKER = fileURLToPath(new URL('../../fuzz/watchdog-worker.mjs', import.meta.url));

describe('the fuzz watchdog', () => {
  it('kills a run stuck in one input and saves that input as a reproducer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-watchdog-'));
    try {
      const script = join(dir, 'stuck.mjs');
      // A stand-in harness: publishes input 0xAB 0xCD for target 1, then never returns.
      writeFileSync(
        script,
        `import { Worker } from 'node:worker_threads';
const shared = new SharedArrayBuffer(16 + 64);
const header = new Int32Array(shared, 0, 4);
new Uint8Array(shared, 16).set([0xab, 0xcd]);
Atomics.store(header, 1, 2); Atomics.store(header, 2, 1); Atomics.add(header, 0, 1);
new Worker(${JSON.stringify(WORKER)}, { workerData: { shared, stallMs: 500, corpusDir: ${JSON.stringify(join(dir, 'corpus'))}, targets: ['a', 'b'] } });
await new Promise((r) => setTimeout(r, 100));
for (;;) {}
`,
      );
      const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
      expect(run.signal).toBe('SIGKILL');
      expect(run.stderr).toContain('fuzz watchdog: b: one input has run for over 500 ms');
      const files = readdirSync(join(dir, 'corpus', 'b'));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^[0-9a-f]{16}\.bin$/);
      expect([...readFileSync(join(dir, 'corpus', 'b', files[0]!))]).toEqual([0xab, 0xcd]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
