// --pause waits for Enter between steps only when a person is at a terminal; with a pipe it never reads stdin.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

const DEMO = 'replayed-attestation';

describe('demo NAME --pause', () => {
  it('at a terminal: waits for a line after every step but the last, each wait after its step is shown', async () => {
    let reads = 0;
    const run = await runCli(['demo', DEMO, '--pause'], { isTty: true, readLine: async () => (reads++, '') });
    expect(run.code).toBe(0);
    const steps = run.events.filter((e) => e.startsWith('Step ')).length;
    expect(run.events.filter((e) => e.startsWith('stderr:'))).toEqual([]);
    expect(steps).toBeGreaterThanOrEqual(4);
    expect(reads).toBe(steps - 1);
    // Step k is printed, then the prompt, then the wait; never two steps without a wait between them.
    const shape = run.events.filter((e) => e.startsWith('Step ') || e === '<wait>').map((e) => (e === '<wait>' ? 'W' : 'S'));
    expect(shape.join('')).toBe(`${'SW'.repeat(steps - 1)}S`);
    expect(run.stdout).toContain('press Enter for the next step');
  });

  it('at a terminal: end of input (Ctrl-D) stops the waiting and the demo finishes', async () => {
    let reads = 0;
    const run = await runCli(['demo', DEMO, '--pause'], { isTty: true, readLine: async () => (reads++, undefined) });
    expect(run.code).toBe(0);
    expect(reads).toBe(1);
    expect(run.stdout).toMatch(/Outcome: DENIED/);
  });

  it('not a terminal: never reads stdin, says so on stderr, and prints every step', async () => {
    let reads = 0;
    const run = await runCli(['demo', DEMO, '--pause'], { isTty: false, readLine: async () => (reads++, '') });
    expect(run.code).toBe(0);
    expect(reads).toBe(0);
    expect(run.stderr).toContain('--pause: stdin is not a terminal');
    expect(run.stdout).not.toContain('press Enter');
  });

  it('the real binary with a piped stdin left open does not hang', async () => {
    const child = spawn(process.execPath, ['bin/nitro-emu.mjs', 'demo', DEMO, '--pause'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    // stdin stays open and silent: a demo that waited on it would never exit.
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`demo --pause hung on a piped stdin; stdout so far:\n${stdout}`));
      }, 45_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    child.stdin.end();
    expect(code).toBe(0);
    expect(stderr).toContain('stdin is not a terminal');
    expect(stdout).toMatch(/Step 1 of \d+/);
    expect(stdout).toMatch(/Outcome: DENIED/);
  }, 60_000);
});
