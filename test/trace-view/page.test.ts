import { describe, expect, it } from 'vitest';
import { flowTracePage, renderHtml, renderMermaid, type TracePage } from '../../src/trace-view/index.ts';
import { World, runFlow, type WorldOptions } from '../../src/world/index.ts';

const EPOCH_MS = Date.UTC(2026, 0, 1);

async function flowPage(options: Partial<WorldOptions> = {}): Promise<{ world: World; page: TracePage; html: string; mermaid: string; invariants: string[] }> {
  const world = new World({ seed: 3, epochMs: EPOCH_MS, accelerators: { flavour: 'gpu', count: 2 }, ...options });
  const report = await runFlow(world);
  const page = flowTracePage(world, report);
  return { world, page, html: renderHtml(page), mermaid: renderMermaid(page), invariants: Object.keys(report.invariants) };
}

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe('trace page of the demo flow', () => {
  it('the same seed gives byte-identical HTML and Mermaid', async () => {
    const a = await flowPage();
    const b = await flowPage();
    expect(a.html).toBe(b.html);
    expect(a.mermaid).toBe(b.mermaid);
    // It is the run that is drawn: the page names the run's digest.
    expect(a.html).toContain(a.world.sim.digest());
  });

  it('draws a lane per principal of the run and accounts for every message the world recorded', async () => {
    const { world, page, html } = await flowPage();
    const run = page.runs[0]!;
    const principals = new Set([...world.messages.events.flatMap((m) => [m.from, m.to]), ...world.ledger.observations.map((o) => o.principal)]);
    expect(new Set(run.lanes)).toEqual(principals);
    expect(count(html, /<g class="lane"/g)).toBe(principals.size);
    expect(count(html, /<g class="arrow /g)).toBe(run.arrows.length);
    const drawn = [...html.matchAll(/<g class="arrow [^>]*data-count="(\d+)"/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(drawn + run.omittedMessages).toBe(world.messages.events.length);
    expect(world.messages.events.length).toBeGreaterThan(50);
    // What principals obtained with no sender (the operator's API calls, the parent's BAR reads) are probes.
    const unsent = world.ledger.observations.length - world.messages.events.length;
    const probed = [...html.matchAll(/<g class="probe[^>]*data-count="(\d+)"/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(probed + run.omittedProbes).toBe(unsent);
    expect(html).toContain('data-principal="operator" data-count="2" data-channel="operator-api"');
  });

  it('marks ciphertext and plaintext arrows with who could read them', async () => {
    const { page } = await flowPage();
    const arrows = page.runs[0]!.arrows;
    const record = arrows.find((a) => a.what.startsWith('secure-channel record') && a.from === 'parent-admin' && a.to === 'kms');
    expect(record).toMatchObject({ protection: 'ciphertext', readableBy: ['enclave', 'kms'] });
    const bounce = arrows.find((a) => a.what.startsWith('bounce buffer') && a.from === 'enclave');
    expect(bounce).toMatchObject({ protection: 'ciphertext', readableBy: ['enclave', 'device'], observedBy: 'parent-admin' });
    const hello = arrows.find((a) => a.what.startsWith('client hello') && a.from === 'client');
    expect(hello).toMatchObject({ protection: 'plaintext', readableBy: ['client', 'parent-admin'] });
    expect(arrows.some((a) => a.leak)).toBe(false);
  });

  it('lists every invariant with its verdict and loads nothing from anywhere', async () => {
    const { html, invariants } = await flowPage();
    for (const name of invariants) expect(html).toContain(`data-invariant="${name}" data-held="true"`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|\ssrc=|\shref=|url\((?!#)/i);
    expect(html).toContain("default-src 'none'");
  });

  it('negative control: with the confidential device path off the page shows the weights leaking to the parent', async () => {
    const { page, html } = await flowPage({ defences: { deviceConfidentialPath: false } });
    const run = page.runs[0]!;
    const leaks = run.arrows.filter((a) => a.leak);
    expect(leaks.length).toBeGreaterThan(0);
    expect(leaks.every((a) => a.protection === 'plaintext' && a.readableBy.includes('parent-admin'))).toBe(true);
    expect(html).toMatch(/class="arrow plaintext leak"/);
    expect(run.ledger.find((r) => r.principal === 'parent-admin' && r.leaked.includes('weights-tensor'))).toBeDefined();
    expect(html).toContain('data-invariant="INV-NO-CANARY" data-held="false"');
  });

  it('Mermaid: one participant per lane and one message line per arrow', async () => {
    const { page, mermaid } = await flowPage({ accelerators: undefined });
    const run = page.runs[0]!;
    expect(mermaid).toContain('```mermaid\nsequenceDiagram\n');
    expect(count(mermaid, /^ {4}participant /gm)).toBe(run.lanes.length);
    expect(count(mermaid, /^ {4}\w+(->>|-->>)\w+: /gm)).toBe(run.arrows.length);
    expect(count(mermaid, /^ {4}\w+->>\w+: 🔒 ciphertext/gm)).toBe(run.arrows.filter((a) => a.protection === 'ciphertext').length);
  });
});
