import { COLOURS, sequenceSvg } from './svg.ts';
import { esc, formatBytes } from './format.ts';
import type { TracePage, TraceRun } from './types.ts';

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: #57606a; margin: 0 0 12px; }
.legend { display: flex; gap: 20px; flex-wrap: wrap; padding: 8px 12px; background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 28px; height: 0; border-top: 3px solid; }
.diagram { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px; }
svg.sequence text { font: 12px system-ui, sans-serif; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg.sequence text.lane-name { font-size: 13px; stroke-width: 0; }
table { border-collapse: collapse; margin: 4px 0 12px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.violated td, tr.canary td { background: #ffebe9; } tr.held td:first-child { color: ${COLOURS.ciphertext}; font-weight: 600; }
tr.violated td:first-child { color: ${COLOURS.leak}; font-weight: 700; }
.refusal-banner { border: 2px solid ${COLOURS.leak}; background: #ffebe9; padding: 6px 10px; border-radius: 6px; margin: 8px 0; }
.outcome { font-weight: 600; }
`;

/**
 * One self-contained page: inline CSS and SVG, no script, no font, image or link to fetch. The same runs give
 * the same bytes (nothing here reads a clock or draws randomness).
 */
export function renderHtml(page: TracePage): string {
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(page.title)}</title>`,
    // No resource may load: a strict policy makes the browser refuse any that a later edit might add.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<style>${CSS}</style></head><body>`,
    `<h1>${esc(page.title)}</h1>`,
    `<p class="sub">${esc(page.subtitle)}</p>`,
    legend(),
  ];
  page.runs.forEach((run, i) => parts.push(runSection(run, `r${i}`)));
  parts.push('</body></html>', '');
  return parts.join('\n');
}

function legend(): string {
  return (
    '<div class="legend">' +
    `<span><i class="swatch" style="border-color:${COLOURS.ciphertext}"></i>ciphertext (closed lock): only the listed key holders can read it</span>` +
    `<span><i class="swatch" style="border-color:${COLOURS.plaintext};border-top-style:dashed"></i>plaintext (open lock): everyone who got the bytes can read it</span>` +
    `<span><i class="swatch" style="border-color:${COLOURS.leak}"></i>leak: a canary (a planted secret) readable by someone neither its owner nor the TCB</span>` +
    '<span>Arrows in virtual-time order; “×N” groups consecutive alike messages. A message is called ciphertext only when its format is one the emulator seals.</span>' +
    '</div>'
  );
}

function runSection(run: TraceRun, id: string): string {
  const out: string[] = [`<section class="run" id="${id}">`, `<h2>${esc(run.heading)}</h2>`, `<p class="sub outcome">${esc(run.summary)}</p>`];
  if (run.refusal) {
    out.push(`<div class="refusal-banner" data-code="${esc(run.refusal.code)}"><b>Stopped:</b> ${esc(run.refusal.code)} — ${esc(run.refusal.reason)}</div>`);
  }
  out.push(
    `<h3>Sequence (${run.messageCount} messages, ${run.arrows.length} arrows)</h3>`,
    `<div class="diagram">${sequenceSvg(run, id)}</div>`,
    ...(run.notes.length > 0 ? ['<h3>What the attack did (the scenario’s notes)</h3>', `<ul class="notes">${run.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`] : []),
    '<h3>Invariant verdicts</h3>',
    verdictTable(run),
    '<h3>Ledger: what each principal obtained</h3>',
    ledgerTable(run),
    '</section>',
  );
  return out.join('\n');
}

function verdictTable(run: TraceRun): string {
  const rows = run.verdicts.map(
    (v) =>
      `<tr class="verdict ${v.held ? 'held' : 'violated'}" data-invariant="${esc(v.invariant)}" data-held="${v.held}"><td>${v.held ? 'held' : 'VIOLATED'}</td><td>${esc(v.invariant)}</td><td>${esc(v.detail)}</td></tr>`,
  );
  return `<table class="verdicts"><thead><tr><th>verdict</th><th>invariant</th><th>detail</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function canaryCell(r: TraceRun['ledger'][number]): string {
  if (r.canaries.length === 0) return '—';
  return r.canaries.map((c) => (r.leaked.includes(c) ? `<b>${esc(c)} (LEAK)</b>` : `${esc(c)} (its own or TCB)`)).join(', ');
}

function ledgerTable(run: TraceRun): string {
  const rows = run.ledger.map(
    (r) =>
      `<tr class="ledger-row${r.leaked.length ? ' canary' : ''}" data-principal="${esc(r.principal)}" data-canaries="${esc(r.canaries.join(','))}" data-leaked="${esc(r.leaked.join(','))}"><td>${esc(r.principal)}</td><td>${esc(r.channel)}</td><td class="num">${r.items}</td><td class="num">${esc(formatBytes(r.bytes))}</td><td>${canaryCell(r)}</td></tr>`,
  );
  return `<table class="ledger"><thead><tr><th>principal</th><th>channel</th><th>items</th><th>bytes</th><th>canaries seen</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}
