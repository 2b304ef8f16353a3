// Same seed, same text; --pretty logs are for people (not JSON) and still carry the virtual time.
import { describe, expect, it } from 'vitest';
import { cliLogSink, formatPretty, formatVirtualMs, writeLogLine } from '../../src/cli/log.ts';
import { renderStep, wrap, NARRATION_COLUMNS } from '../../src/guided/index.ts';
import { runCli } from './helpers.ts';

describe('guided narration', () => {
  it('same seed gives the same text; another seed another world', async () => {
    const a = await runCli(['demo', 'replayed-attestation', '--seed', '3']);
    const b = await runCli(['demo', 'replayed-attestation', '--seed', '3']);
    const c = await runCli(['demo', 'replayed-attestation', '--seed', '4']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    expect(a.stdout).toContain('reproduce: nitro-emu demo replayed-attestation --seed 3 --epoch 1767225600000');
  });

  it('--pretty: log lines are not JSON, lead with the virtual time and carry the seed', async () => {
    const run = await runCli(['demo', 'debug-enclave-denied', '--pretty', '--seed', '5']);
    expect(run.code).toBe(0);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).toThrow();
      expect(line, line).toMatch(/^vt \d+\.\d{6} ms +seed 5 /);
    }
    expect(run.stderr).toMatch(/kms\.call .*operation=Decrypt/);
    expect(run.stdout).toMatch(/^Step 1 of \d+: /m);
    // Narrated, each log line comes out just before the first step at or after its virtual time.
    let stepVtMs = -1;
    let logs = 0;
    for (const event of run.events) {
      const step = /^Step \d+ of \d+: .*\[virtual time (\d+\.\d+) ms\]/.exec(event);
      if (step !== null) stepVtMs = Number(step[1]);
      const log = /^stderr:vt (\d+\.\d+) ms/.exec(event);
      if (log !== null && !event.includes('guided.step')) {
        logs++;
        expect(Number(log[1]), event).toBeGreaterThan(stepVtMs - 0.0005); // step headers show 3 decimals
      }
    }
    expect(logs).toBeGreaterThan(5);
  });

  it('scenario run --log stamps every line with vt, seed, scenario and run', async () => {
    const run = await runCli(['scenario', 'run', 'PA-03', '--log', '--seed', '2']);
    expect(run.code).toBe(0);
    const records = run.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) {
      expect(Number.isSafeInteger(r['vt'])).toBe(true);
      expect(r).toMatchObject({ seed: 2, scenario: 'PA-03' });
    }
    expect(new Set(records.map((r) => r['run']))).toEqual(new Set(['defended', 'control']));
  });

  it('the log sink keeps pino\'s fields, adds seed and run fields, and refuses a line without virtual time', () => {
    let out = '';
    const options = { seed: 9, pretty: false, write: (t: string) => void (out += t), fields: { run: 'x' } };
    const sink = cliLogSink(options);
    sink.write('{"level":30,"vt":1234567,"kind":"k","a":1,"msg":"k"}\n');
    expect(JSON.parse(out)).toEqual({ level: 30, vt: 1234567, seed: 9, run: 'x', kind: 'k', a: 1, msg: 'k' });
    expect(() => sink.write('{"level":30,"msg":"no time"}\n')).toThrow(/without virtual time/);
    out = '';
    writeLogLine({ ...options, pretty: true }, 2_000_001, 'hello world', { step: 3 });
    expect(out).toBe('vt 2.000001 ms       seed 9  hello world  run=x step=3\n');
    expect(formatVirtualMs(0)).toBe('0.000000 ms');
    expect(formatPretty({ level: 50, vt: 5, seed: 1, msg: 'm', detail: 'has spaces' })).toBe('vt 0.000005 ms       seed 1 ERROR  m  detail="has spaces"');
  });

  it('wraps narration to the column width and labels every part of a step', () => {
    const long = 'word '.repeat(200);
    for (const line of wrap(long, 40)) expect(line.length).toBeLessThanOrEqual(40);
    const text = renderStep({ step: 2, title: 'T', what: long, who: 'w', why: 'CONTROL: gone', vtNs: 1_500_000 }, 5);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(NARRATION_COLUMNS);
    expect(text).toMatch(/^Step 2 of 5: T +\[virtual time 1\.500 ms\]/);
    expect(text).toContain('  Who sees what: w');
    expect(text).toContain('  Without it:    gone');
  });
});
