import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'trace-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe('--trace and --mermaid', () => {
  it('demo writes the page and the Mermaid file; --json keeps stdout pure JSON', async () => {
    const html = join(dir, 'demo.html');
    const md = join(dir, 'demo.md');
    const run = await cli(['demo', '--seed', '2', '--device', 'none', '--json', '--trace', html, '--mermaid', md]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { digest: string };
    expect(run.stderr).toContain(`trace page written to ${html}`);
    const page = readFileSync(html, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain(report.digest);
    const arrows = count(page, /<g class="arrow /g);
    expect(arrows).toBeGreaterThan(10);
    const mermaid = readFileSync(md, 'utf8');
    expect(count(mermaid, /^ {4}\w+(->>|-->>)\w+: /gm)).toBe(arrows);
  });

  it('scenario run draws the defended run, where it was stopped, and the control that the checkers caught', async () => {
    const html = join(dir, 'pa07.html');
    const run = await cli(['scenario', 'run', 'PA-07', '--trace', html]);
    expect(run.code).toBe(0);
    const page = readFileSync(html, 'utf8');
    const [defended, control] = page.split('<section class="run"').slice(1);
    expect(defended).toContain('Defended run: blocked');
    // KMS refused the debug-mode enclave's Decrypt: the stop is drawn in the defended run's diagram.
    expect(defended).toMatch(/<g class="stop"[^>]*>.*KMS_POLICY_DENIED/);
    expect(defended).toContain('data-invariant="INV-KEYS-ATTESTED" data-held="true"');
    expect(control).toContain('Negative control (defences OFF: attestedKeyPolicy): leaked');
    expect(control).toContain('data-invariant="INV-KEYS-ATTESTED" data-held="false"');
  });

  it('refuses what it cannot draw: several scenarios, the cluster flow, an empty path', async () => {
    const many = await cli(['scenario', 'run', 'PA-07', 'PA-08', '--trace', join(dir, 'x.html')]);
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/draw one scenario/);
    const cluster = await cli(['demo', '--hosts', '2', '--trace', join(dir, 'y.html')]);
    expect(cluster.code).toBe(2);
    expect(cluster.stderr).toMatch(/single-host flow/);
    const empty = await cli(['demo', '--mermaid', ' ']);
    expect(empty.code).toBe(2);
  });
});
