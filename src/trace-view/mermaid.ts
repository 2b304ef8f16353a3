import type { Principal } from '../scenario/index.ts';
import { clip, formatBytes } from './format.ts';
import type { TracePage, TraceRun } from './types.ts';

/** Mermaid participant ids are bare words; the principal name is the alias people read. */
function idOf(p: Principal): string {
  return p.replace(/[^A-Za-z0-9]/g, '_');
}

/** Message text may not hold `;`, `#` or a newline (Mermaid reads them as syntax). */
function text(s: string): string {
  return s.replace(/[;#\n\r]/g, ' ').replace(/:/g, '∶');
}

/**
 * A Mermaid `sequenceDiagram` per run, in a Markdown file: solid arrows for ciphertext, dotted for plaintext,
 * each message saying who could read it; steps as notes; the refusal as a note on the last lane.
 */
export function renderMermaid(page: TracePage): string {
  const out: string[] = [`# ${page.title}`, '', page.subtitle, ''];
  for (const run of page.runs) out.push(`## ${run.heading}`, '', run.summary, '', '```mermaid', ...runDiagram(run), '```', '');
  return out.join('\n');
}

function runDiagram(run: TraceRun): string[] {
  const lines = ['sequenceDiagram'];
  for (const p of run.lanes) lines.push(`    participant ${idOf(p)} as ${p}`);
  const first = run.lanes[0];
  const last = run.lanes[run.lanes.length - 1];
  const span = first === undefined ? '' : first === last ? idOf(first) : `${idOf(first)},${idOf(last!)}`;
  let m = 0;
  let s = 0;
  const stop = (title: string) => lines.push(`    Note over ${span}: ${text(clip(title, 100))}`);
  for (const a of run.arrows) {
    for (; span !== '' && s < run.stops.length && run.stops[s]!.timeNs < a.timeNs; s++) stop(run.stops[s]!.title);
    while (span !== '' && m < run.marks.length && (m === 0 || a.timeNs > run.marks[m - 1]!.timeNs)) {
      lines.push(`    Note over ${span}: ${text(clip(run.marks[m]!.title, 100))}`);
      m++;
      if (a.timeNs <= run.marks[m - 1]!.timeNs) break;
    }
    const leak = a.leak;
    const arrow = a.protection === 'ciphertext' ? '->>' : '-->>';
    const tag = leak ? `LEAK ${a.canaries.join(', ')}` : a.protection === 'ciphertext' ? '🔒 ciphertext' : '🔓 plaintext';
    const count = a.rounds !== undefined ? ` ×${a.rounds} rounds` : a.count > 1 ? ` ×${a.count}` : '';
    lines.push(`    ${idOf(a.from)}${arrow}${idOf(a.to)}: ${text(`${tag} ${clip(a.what, 70)}${count}, ${formatBytes(a.bytes)} (readable by ${a.readableBy.join(', ')})`)}`);
  }
  for (; span !== '' && s < run.stops.length; s++) stop(run.stops[s]!.title);
  if (run.omittedMessages > 0 && span !== '') lines.push(`    Note over ${span}: +${run.omittedMessages} more messages not drawn`);
  if (run.refusal && last !== undefined) lines.push(`    Note over ${idOf(last)}: ${text(`✕ stopped: ${run.refusal.code}`)}`);
  return lines;
}
