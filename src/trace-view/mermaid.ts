import type { Principal } from '../scenario/index.ts';
import { clip, formatBytes } from './format.ts';
import { timeline } from './timeline.ts';
import type { TracePage, TraceRun } from './types.ts';

/** Mermaid participant ids are bare words; the principal name is the alias people read. */
function idOf(p: Principal): string {
  return p.replace(/[^A-Za-z0-9]/g, '_');
}

/** Message text may not hold `;`, `#` or a newline (Mermaid reads them as syntax); a colon after the first is text. */
function text(s: string): string {
  return s.replace(/[;#\n\r]/g, ' ');
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
  for (const row of timeline(run)) {
    if (row.kind === 'mark' || row.kind === 'stop') {
      if (span !== '') lines.push(`    Note over ${span}: ${text(clip(row.mark.title, 100))}`);
    } else if (row.kind === 'probe') {
      const p = row.probe;
      const canaries = p.canaries.length > 0 ? ` — ${p.leak ? 'LEAK of' : 'holds'} ${p.canaries.join(', ')}` : '';
      lines.push(`    Note right of ${idOf(p.principal)}: ${text(`obtains ${clip(p.channel, 60)}${p.count > 1 ? ` ×${p.count}` : ''}, ${formatBytes(p.bytes)}${canaries}`)}`);
    } else {
      const a = row.arrow;
      const arrow = a.protection === 'ciphertext' ? '->>' : '-->>';
      const tag = a.leak ? `LEAK ${a.canaries.join(', ')}` : a.protection === 'ciphertext' ? '🔒 ciphertext' : '🔓 plaintext';
      const count = a.rounds !== undefined ? ` ×${a.rounds} rounds` : a.count > 1 ? ` ×${a.count}` : '';
      lines.push(`    ${idOf(a.from)}${arrow}${idOf(a.to)}: ${text(`${tag} ${clip(a.what, 70)}${count}, ${formatBytes(a.bytes)} (readable by ${a.readableBy.join(', ')})`)}`);
    }
  }
  if (run.omittedMessages > 0 && span !== '') lines.push(`    Note over ${span}: +${run.omittedMessages} more messages not drawn`);
  if (run.refusal && last !== undefined) lines.push(`    Note over ${idOf(last)}: ${text(`✕ stopped: ${run.refusal.code}`)}`);
  return lines;
}
