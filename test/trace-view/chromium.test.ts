import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flowTracePage, renderHtml, type TracePage } from '../../src/trace-view/index.ts';
import { World, runFlow } from '../../src/world/index.ts';

/*
 * The trace page in a real headless Chromium (Debian's `chromium`; .ci/run installs it when missing). The test
 * reads what the browser laid out, not only that the page loads: lanes, arrows, locks, colours, the verdict table.
 */
const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`chromium tests skipped: ${CHROMIUM} is missing (bash .ci/run installs Debian's chromium as root)`);

const OUTPUT_DIR = resolve('test-output');
const work = mkdtempSync(join(tmpdir(), 'trace-view-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function chromium(args: string[]): string {
  const profile = mkdtempSync(join(work, 'profile-'));
  return execFileSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 },
  );
}

/**
 * A copy of the page with a probe that measures the laid-out DOM and writes it into the document, which
 * `--dump-dom` then prints. Only the copy allows the probe's inline script; the page itself allows none.
 */
const PROBE = `<script>
(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
  const svg = document.querySelector('svg.sequence');
  const out = {
    svg: box(svg),
    lanes: [...svg.querySelectorAll('g.lane')].map((g) => ({ principal: g.dataset.principal, text: g.querySelector('text').textContent, box: box(g.querySelector('rect')) })),
    arrows: [...svg.querySelectorAll('g.arrow')].map((g) => ({
      protection: g.dataset.protection,
      readers: g.dataset.readableBy,
      count: Number(g.dataset.count),
      lock: g.querySelector('g.lock').getAttribute('class'),
      stroke: getComputedStyle(g.querySelector('line, path')).stroke,
      line: box(g.querySelector('line, path')),
      label: g.querySelector('text.readers').textContent,
    })),
    verdicts: [...document.querySelectorAll('table.verdicts tr.verdict')].map((tr) => ({ invariant: tr.dataset.invariant, held: tr.dataset.held, h: box(tr).h })),
  };
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`;

interface Probe {
  svg: { x: number; y: number; w: number; h: number };
  lanes: Array<{ principal: string; text: string; box: { x: number; w: number; h: number } }>;
  arrows: Array<{ protection: string; readers: string; count: number; lock: string; stroke: string; line: { x: number; w: number; h: number }; label: string }>;
  verdicts: Array<{ invariant: string; held: string; h: number }>;
}

function measure(html: string): Probe {
  const probed = html
    .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')
    .replace('</body>', `${PROBE}</body>`);
  const file = join(work, 'probe.html');
  writeFileSync(file, probed);
  const dom = chromium(['--window-size=1400,1000', '--dump-dom', `file://${file}`]);
  const match = /<pre id="probe">([\s\S]*?)<\/pre>/.exec(dom);
  expect(match, 'the probe wrote its measurements into the DOM').not.toBeNull();
  return JSON.parse(match![1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')) as Probe;
}

async function demoPage(): Promise<{ page: TracePage; html: string; messages: number; invariants: string[] }> {
  const world = new World({ seed: 1, epochMs: Date.UTC(2026, 0, 1), accelerators: { flavour: 'gpu', count: 2 } });
  const report = await runFlow(world);
  const page = flowTracePage(world, report);
  return { page, html: renderHtml(page), messages: world.messages.events.length, invariants: Object.keys(report.invariants) };
}

const GREEN = 'rgb(26, 127, 55)';
const ORANGE = 'rgb(188, 76, 0)';

describe('trace page in headless Chromium', () => {
  it.skipIf(!available)('renders a lane per principal, every arrow with its lock and colour, and the verdicts; saves a screenshot', async () => {
    const { page, html, messages, invariants } = await demoPage();
    const run = page.runs[0]!;
    const probe = measure(html);

    // One lane per principal, laid out left to right without overlapping, each labelled with its name.
    expect(probe.lanes.map((l) => l.principal)).toEqual([...run.lanes]);
    expect(probe.lanes.map((l) => l.text)).toEqual([...run.lanes]);
    for (const [i, lane] of probe.lanes.entries()) {
      expect(lane.box.w).toBeGreaterThan(50);
      if (i > 0) expect(lane.box.x).toBeGreaterThanOrEqual(probe.lanes[i - 1]!.box.x + probe.lanes[i - 1]!.box.w);
    }

    // Every message is drawn: arrows as laid out, their counts adding up to the world's messages.
    expect(probe.arrows).toHaveLength(run.arrows.length);
    expect(probe.arrows.reduce((sum, a) => sum + a.count, 0) + run.omittedMessages).toBe(messages);
    for (const a of probe.arrows) {
      expect(a.line.w).toBeGreaterThan(10);
      expect(a.line.x).toBeGreaterThanOrEqual(probe.svg.x);
      expect(a.line.x + a.line.w).toBeLessThanOrEqual(probe.svg.x + probe.svg.w);
    }
    const cipher = probe.arrows.filter((a) => a.protection === 'ciphertext');
    const plain = probe.arrows.filter((a) => a.protection === 'plaintext');
    expect(cipher.length).toBeGreaterThan(0);
    expect(plain.length).toBeGreaterThan(0);
    for (const a of cipher) {
      expect(a.lock).toBe('lock closed');
      expect(a.stroke).toBe(GREEN);
      expect(a.label).toMatch(/^ciphertext — readable by: /);
    }
    for (const a of plain) {
      expect(a.lock).toBe('lock open');
      expect(a.stroke).toBe(ORANGE);
      expect(a.label).toMatch(/^PLAINTEXT — readable by: /);
    }
    expect(cipher.some((a) => a.readers === 'enclave,kms')).toBe(true);

    // The verdict table lists every invariant, rendered.
    expect(probe.verdicts.map((v) => v.invariant)).toEqual(invariants);
    expect(probe.verdicts.every((v) => v.held === 'true' && v.h > 0)).toBe(true);

    // The screenshot, for people to look at (test-output/ is git-ignored).
    mkdirSync(OUTPUT_DIR, { recursive: true });
    const file = join(work, 'trace.html');
    writeFileSync(file, html);
    const png = join(OUTPUT_DIR, 'trace.png');
    rmSync(png, { force: true });
    chromium(['--window-size=1400,2400', `--screenshot=${png}`, `file://${file}`]);
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(1400);
    expect(bytes.length).toBeGreaterThan(50_000);
  }, 120_000);
});
