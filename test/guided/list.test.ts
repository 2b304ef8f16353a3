import { describe, expect, it } from 'vitest';
import { GUIDED_DEMOS } from '../../src/guided/index.ts';
import { runCli } from './helpers.ts';

const REQUIRED = ['happy-path', 'debug-enclave-denied', 'modified-image-denied', 'replayed-attestation', 'tampered-bounce-buffer', 'fabric-eavesdropper'];

describe('nitro-emu demo --list', () => {
  it('lists every registered demo with its title, the six of the issue among them', async () => {
    const run = await runCli(['demo', '--list']);
    expect(run.code).toBe(0);
    for (const demo of GUIDED_DEMOS) expect(run.stdout).toMatch(new RegExp(`^  ${demo.id} +${demo.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(GUIDED_DEMOS.map((d) => d.id)).toEqual(expect.arrayContaining(REQUIRED));
  });

  it('--json prints {id, title} for each demo', async () => {
    const run = await runCli(['demo', '--list', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(GUIDED_DEMOS.map((d) => ({ id: d.id, title: d.title })));
  });

  it('an unknown demo exits 2 and shows the list on stderr', async () => {
    const run = await runCli(['demo', 'no-such-demo']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no demo "no-such-demo"');
    for (const id of REQUIRED) expect(run.stderr).toContain(id);
  });

  it('refuses flags that do not go together, with exit 2', async () => {
    for (const argv of [
      ['demo', '--control'],
      ['demo', '--pause'],
      ['demo', 'happy-path', '--device', 'none'],
      ['demo', 'happy-path', '--hosts', '2'],
      ['demo', '--list', 'happy-path'],
      ['demo', '--list', '--control'],
      ['demo', 'happy-path', 'debug-enclave-denied'],
    ]) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stdout, argv.join(' ')).toBe('');
    }
  });

  it('says in its help that --pause never waits without a terminal', async () => {
    const run = await runCli(['demo', '--help']);
    expect(run.stdout).toMatch(/--pause[\s\S]*only when stdin is a terminal[\s\S]*never waits/);
  });
});
