import type { Principal } from '../scenario/index.ts';
import { clip, esc, formatBytes, formatMs } from './format.ts';
import { timeline } from './timeline.ts';
import type { TraceArrow, TraceMark, TraceProbe, TraceRun } from './types.ts';

const LANE_W = 150;
const TIME_W = 86;
const HEAD_H = 56;
const ROW_H = 44;
const MARK_H = 30;
const PROBE_H = 28;
const REFUSAL_H = 40;
const FOOT_H = 24;
const LABEL_CHARS_MAX = 64;
/** Room right of the last lane for labels of arrows that end there (a device-to-device loop). */
const RIGHT_PAD = 230;

export const COLOURS = { ciphertext: '#1a7f37', plaintext: '#bc4c00', leak: '#cf222e', lane: '#8c959f', mark: '#0969da' } as const;

/** The sequence diagram of one run: a lane per principal, an arrow per (grouped) message, dividers for steps. */
export function sequenceSvg(run: TraceRun, idPrefix: string): string {
  const lanes = run.lanes;
  const laneX = new Map<Principal, number>(lanes.map((p, i) => [p, TIME_W + LANE_W * i + LANE_W / 2]));
  const rows = timeline(run);
  const width = TIME_W + LANE_W * Math.max(lanes.length, 1) + RIGHT_PAD;
  const bodyH = rows.reduce((h, r) => h + (r.kind === 'arrow' ? ROW_H : r.kind === 'probe' ? PROBE_H : MARK_H), 0) + (run.refusal ? REFUSAL_H : 0);
  const height = HEAD_H + bodyH + FOOT_H;
  const out: string[] = [];
  out.push(
    `<svg class="sequence" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(run.heading)}: sequence diagram" data-lanes="${lanes.length}" data-arrows="${run.arrows.length}" data-messages="${run.messageCount}">`,
  );
  out.push(defs(idPrefix));
  for (const p of lanes) {
    const x = laneX.get(p)!;
    out.push(
      `<g class="lane" data-principal="${esc(p)}"><line x1="${x}" y1="${HEAD_H - 8}" x2="${x}" y2="${height - 6}" stroke="${COLOURS.lane}" stroke-dasharray="4 4"/>` +
        `<rect x="${x - LANE_W / 2 + 8}" y="8" width="${LANE_W - 16}" height="32" rx="6" fill="#f6f8fa" stroke="#57606a"/>` +
        `<text class="lane-name" x="${x}" y="29" text-anchor="middle" font-weight="600">${esc(p)}</text></g>`,
    );
  }
  let y = HEAD_H;
  for (const row of rows) {
    if (row.kind === 'mark') {
      out.push(markSvg(row.mark, row.index, y, width));
      y += MARK_H;
    } else if (row.kind === 'probe') {
      out.push(probeSvg(row.probe, laneX, y));
      y += PROBE_H;
    } else if (row.kind === 'stop') {
      out.push(stopSvg(row.mark, y, width));
      y += MARK_H;
    } else {
      out.push(arrowSvg(row.arrow, laneX, y, idPrefix));
      y += ROW_H;
    }
  }
  if (run.refusal) {
    const r = run.refusal;
    out.push(
      `<g class="refusal" data-code="${esc(r.code)}"><rect x="4" y="${y + 4}" width="${width - 8}" height="${REFUSAL_H - 8}" rx="4" fill="#ffebe9" stroke="${COLOURS.leak}" stroke-width="2"/>` +
        `<text x="12" y="${y + 25}" fill="${COLOURS.leak}" font-weight="700">✕ stopped here at ${esc(formatMs(r.timeNs))}: ${esc(r.code)} — ${esc(clip(r.reason, 120))}</text></g>`,
    );
    y += REFUSAL_H;
  }
  if (run.omittedMessages > 0 || run.omittedProbes > 0) {
    out.push(`<text class="omitted" x="12" y="${y + 16}" fill="#57606a">+${run.omittedMessages} more messages and ${run.omittedProbes} more reads not drawn (the diagram stops at ${run.arrows.length} arrows and ${run.probes.length} reads)</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

function defs(id: string): string {
  const marker = (name: string, colour: string) =>
    `<marker id="${id}-${name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${colour}"/></marker>`;
  return `<defs>${marker('ciphertext', COLOURS.ciphertext)}${marker('plaintext', COLOURS.plaintext)}${marker('leak', COLOURS.leak)}</defs>`;
}

/** A padlock drawn in SVG (no font glyph: the page must look the same on a machine without emoji fonts). */
function lockSvg(x: number, y: number, closed: boolean, colour: string): string {
  const shackle = closed ? `M${x + 2},${y + 5} v-2.5 a3,3 0 0 1 6,0 v2.5` : `M${x + 2},${y + 5} v-2.5 a3,3 0 0 1 6,0 v-1`;
  return `<g class="lock ${closed ? 'closed' : 'open'}"><path d="${shackle}" fill="none" stroke="${colour}" stroke-width="1.6"/><rect x="${x}" y="${y + 5}" width="10" height="8" rx="1.5" fill="${colour}"/></g>`;
}

function arrowSvg(a: TraceArrow, laneX: ReadonlyMap<Principal, number>, y: number, id: string): string {
  const leak = a.leak;
  const colour = leak ? COLOURS.leak : COLOURS[a.protection];
  const marker = `url(#${id}-${leak ? 'leak' : a.protection})`;
  const x1 = laneX.get(a.from)!;
  const x2 = laneX.get(a.to)!;
  const lineY = y + 24;
  const count = a.rounds !== undefined ? ` ×${a.rounds} rounds` : a.count > 1 ? ` ×${a.count}` : '';
  const label = clip(`${a.what}${count} · ${formatBytes(a.bytes)}`, LABEL_CHARS_MAX);
  const readers = `${a.protection === 'ciphertext' ? 'ciphertext' : 'PLAINTEXT'} — readable by: ${a.readableBy.join(', ')}${a.canaries.length > 0 ? ` — ${leak ? 'LEAK of' : 'carries (rightfully)'} ${a.canaries.join(', ')}` : ''}${a.observedBy ? ` (in ${a.observedBy} memory)` : ''}`;
  const attrs = `class="arrow ${a.protection}${leak ? ' leak' : ''}" data-seq="${a.firstSeq}" data-from="${esc(a.from)}" data-to="${esc(a.to)}" data-protection="${a.protection}" data-readable-by="${esc(a.readableBy.join(','))}" data-count="${a.count}" data-channel="${esc(a.channel)}"`;
  const time = `<text class="time" x="6" y="${lineY + 4}" fill="#57606a" font-size="10">${esc(formatMs(a.timeNs))}</text>`;
  const stroke = `stroke="${colour}" stroke-width="${leak ? 3 : 2}"${a.protection === 'plaintext' ? ' stroke-dasharray="6 3"' : ''}`;
  let shape: string;
  let textX: number;
  if (x1 === x2) {
    // Device to device: a loop on the lane.
    shape = `<path d="M${x1},${lineY - 8} h28 v14 h-26" fill="none" ${stroke} marker-end="${marker}"/>`;
    textX = x1 + 34;
  } else {
    shape = `<line x1="${x1}" y1="${lineY}" x2="${x2 + (x2 > x1 ? -2 : 2)}" y2="${lineY}" ${stroke} marker-end="${marker}"/>`;
    textX = Math.min(x1, x2) + 6;
  }
  const title = `<title>${esc(`${a.from} → ${a.to} on ${a.channel}: ${a.what}${count}, ${a.bytes} bytes; ${readers}`)}</title>`;
  return (
    `<g ${attrs}>${title}${time}${shape}` +
    lockSvg(textX, lineY - 21, a.protection === 'ciphertext' && !leak, colour) +
    `<text class="label" x="${textX + 14}" y="${lineY - 7}" fill="${colour}">${esc(label)}</text>` +
    `<text class="readers" x="${textX + 14}" y="${lineY + 13}" fill="${colour}" font-size="10">${esc(clip(readers, 90))}</text></g>`
  );
}

/** A principal obtaining bytes on its own (no sender): a dot on its lane and what it read. */
function probeSvg(p: TraceProbe, laneX: ReadonlyMap<Principal, number>, y: number): string {
  const x = laneX.get(p.principal)!;
  const colour = p.leak ? COLOURS.leak : '#57606a';
  const count = p.count > 1 ? ` ×${p.count}` : '';
  const canaries = p.canaries.length > 0 ? ` — ${p.leak ? 'LEAK of' : 'holds (rightfully)'} ${p.canaries.join(', ')}` : '';
  return (
    `<g class="probe${p.leak ? ' leak' : ''}" data-principal="${esc(p.principal)}" data-count="${p.count}" data-channel="${esc(p.channel)}">` +
    `<text class="time" x="6" y="${y + 18}" fill="#57606a" font-size="10">${esc(formatMs(p.timeNs))}</text>` +
    `<circle cx="${x}" cy="${y + 14}" r="${p.leak ? 6 : 4}" fill="${colour}"/>` +
    `<text class="label" x="${x + 10}" y="${y + 18}" fill="${colour}" font-style="italic">${esc(clip(`${p.principal} obtains: ${p.channel}${count} · ${formatBytes(p.bytes)}${canaries}`, 90))}</text></g>`
  );
}

function stopSvg(stop: TraceMark, y: number, width: number): string {
  return (
    `<g class="stop" data-time-ns="${stop.timeNs}"><rect x="4" y="${y + 4}" width="${width - 8}" height="${MARK_H - 6}" rx="3" fill="#ffebe9"/>` +
    `<text x="10" y="${y + 20}" fill="${COLOURS.leak}" font-weight="600">${esc(clip(`${formatMs(stop.timeNs)}  ${stop.title}`, Math.floor((width - 20) / 7)))}</text></g>`
  );
}

function markSvg(mark: TraceMark, index: number, y: number, width: number): string {
  return (
    `<g class="mark" data-step="${index + 1}"><line x1="4" y1="${y + 15}" x2="${width - 4}" y2="${y + 15}" stroke="${COLOURS.mark}" stroke-opacity="0.35"/>` +
    `<text x="10" y="${y + 19}" fill="${COLOURS.mark}" font-weight="600">${esc(clip(mark.title, Math.floor((width - 20) / 7)))}</text></g>`
  );
}
