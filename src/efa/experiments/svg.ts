// Hand-written SVG line charts (no dependencies) and a small strict XML check for them. Every series is exactly one
// <path>; axes, ticks and legend swatches use <line>/<rect>/<text>, so "one path per series" is checkable.
import { EmuError } from '../../errors.ts';

export interface ChartSeries {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  /** Draw points as markers joined by a line (per-N plots) rather than a bare line. */
  readonly markers?: boolean;
  readonly yMin?: number;
  readonly yMax?: number;
}

const COLOURS = ['#1b6ac9', '#d1495b', '#edae49', '#00798c', '#6a4c93', '#2e7d32'];
const WIDTH = 900;
const PANEL_HEIGHT = 320;
const MARGIN = { left: 70, right: 300, top: 34, bottom: 48 };
const POINTS_MAX = 5000;
const SERIES_MAX = COLOURS.length;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A figure of panels stacked vertically, with a title on top. */
export function figure(title: string, panels: readonly Panel[]): string {
  const height = 30 + panels.length * PANEL_HEIGHT;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, i) => parts.push(renderPanel(panel, 30 + i * PANEL_HEIGHT)));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function renderPanel(panel: Panel, top: number): string {
  if (panel.series.length > SERIES_MAX) throw new EmuError('SVG_TOO_MANY_SERIES', `at most ${SERIES_MAX} series per panel`);
  const x0 = MARGIN.left;
  const x1 = WIDTH - MARGIN.right;
  const y0 = top + PANEL_HEIGHT - MARGIN.bottom;
  const y1 = top + MARGIN.top;
  const usable = ([x, y]: readonly [number, number]): boolean => Number.isFinite(x) && Number.isFinite(y) && (!panel.xLog || x > 0) && (!panel.yLog || y > 0);
  const tx = (x: number): number => (panel.xLog ? Math.log10(x) : x);
  const ty = (y: number): number => (panel.yLog ? Math.log10(y) : y);
  const all = panel.series.flatMap((s) => s.points.slice(0, POINTS_MAX)).filter(usable);
  let [xMin, xMax] = extent(all.map(([x]) => tx(x)));
  let [yMin, yMax] = extent(all.map(([, y]) => ty(y)));
  if (panel.yMin !== undefined && !panel.yLog) yMin = panel.yMin;
  if (panel.yMax !== undefined && !panel.yLog) yMax = Math.max(panel.yMax, yMax);
  if (panel.xLog) {
    xMin = Math.floor(xMin);
    xMax = Math.max(Math.ceil(xMax), xMin + 1);
  }
  if (panel.yLog) {
    yMin = Math.floor(yMin);
    yMax = Math.max(Math.ceil(yMax), yMin + 1);
  }
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) yMax = yMin + 1;
  const sx = (x: number): number => x0 + ((tx(x) - xMin) / (xMax - xMin)) * (x1 - x0);
  const sy = (y: number): number => y0 - ((Math.min(Math.max(ty(y), yMin), yMax) - yMin) / (yMax - yMin)) * (y0 - y1);
  const out: string[] = [`<g>`, `<text x="${(x0 + x1) / 2}" y="${top + 20}" text-anchor="middle" font-size="13">${escapeXml(panel.title)}</text>`];
  out.push(`<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#000"/>`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="#000"/>`);
  const xTicks = panel.xLog ? logTicks(xMin, xMax) : linearTicks(xMin, xMax);
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + 5}" stroke="#000"/>`, `<text x="${x}" y="${y0 + 18}" text-anchor="middle">${escapeXml(label(t))}</text>`);
  }
  for (const t of panel.yLog ? logTicks(yMin, yMax) : linearTicks(yMin, yMax)) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${x0 - 5}" y1="${y}" x2="${x1}" y2="${y}" stroke="#e0e0e0"/>`, `<text x="${x0 - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(label(t))}</text>`);
  }
  out.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 38}" text-anchor="middle">${escapeXml(panel.xLabel)}</text>`);
  out.push(`<text x="${x0 - 52}" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 ${x0 - 52} ${(y0 + y1) / 2})">${escapeXml(panel.yLabel)}</text>`);
  panel.series.forEach((series, i) => {
    const colour = COLOURS[i]!;
    const pts = series.points.slice(0, POINTS_MAX).filter(usable);
    const d = pts.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d === '' ? `M${x0},${y0}` : d}" fill="none" stroke="${colour}" stroke-width="2"><title>${escapeXml(series.name)}</title></path>`);
    if (panel.markers) for (const [x, y] of pts) out.push(`<rect x="${(sx(x) - 3).toFixed(1)}" y="${(sy(y) - 3).toFixed(1)}" width="6" height="6" fill="${colour}"/>`);
    const ly = y1 + 8 + i * 18;
    out.push(`<rect x="${x1 + 12}" y="${ly - 5}" width="14" height="4" fill="${colour}"/>`, `<text x="${x1 + 32}" y="${ly}" dominant-baseline="middle">${escapeXml(series.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

function extent(values: readonly number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function linearTicks(lo: number, hi: number): number[] {
  const span = hi - lo;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 6) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9 && out.length < 20; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** Decades between two log10 exponents, as values. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(lo); e <= hi && out.length < 20; e++) out.push(10 ** e);
  return out;
}

function label(t: number): string {
  if (t !== 0 && (Math.abs(t) >= 1e5 || Math.abs(t) < 1e-3)) return t.toExponential(0);
  return String(Number(t.toPrecision(6)));
}

export interface SvgCheck {
  readonly root: string;
  /** How many elements of each name the document holds. */
  readonly elements: Readonly<Record<string, number>>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
const DOCUMENT_CHARS_MAX = 16 * 1024 * 1024;

/**
 * A small strict XML well-formedness check: one root element (svg), properly nested and closed tags, quoted and
 * unique attributes, no raw '<' or stray '&' in text or attribute values. Throws SVG_MALFORMED on the first fault.
 */
export function checkSvg(text: string): SvgCheck {
  const bad = (why: string, at: number): never => {
    throw new EmuError('SVG_MALFORMED', `${why} at offset ${at}`);
  };
  if (text.length > DOCUMENT_CHARS_MAX) bad('document too large', 0);
  const stack: string[] = [];
  const elements: Record<string, number> = {};
  let root = '';
  let rootClosed = false;
  let i = 0;
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end === -1) bad('unterminated XML declaration', 0);
    i = end + 2;
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt === -1 ? text.slice(i) : text.slice(i, lt);
    checkText(chunk, i, stack.length > 0, bad);
    if (lt === -1) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end === -1) bad('unterminated comment', lt);
      i = end + 3;
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt === -1) bad('unterminated tag', lt);
    const tag = text.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) bad(`closing </${name}> does not match <${open ?? 'nothing'}>`, lt);
      if (stack.length === 0) rootClosed = true;
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const name = body.split(/\s/, 1)[0] ?? '';
      if (!NAME.test(name)) bad(`bad element name ${JSON.stringify(name)}`, lt);
      if (stack.length === 0) {
        if (root !== '') bad('a second root element', lt);
        root = name;
      }
      checkAttributes(body.slice(name.length), lt, bad);
      elements[name] = (elements[name] ?? 0) + 1;
      if (!selfClosing) stack.push(name);
      else if (stack.length === 0) rootClosed = true;
    }
    i = gt + 1;
  }
  if (stack.length > 0) bad(`<${stack[stack.length - 1]}> never closed`, text.length);
  if (!rootClosed || root !== 'svg') bad('the root element must be <svg>', 0);
  return { root, elements };
}

function checkText(chunk: string, at: number, insideRoot: boolean, bad: (why: string, at: number) => never): void {
  if (!insideRoot && chunk.trim() !== '') bad('text outside the root element', at);
  if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(chunk)) bad('stray &', at);
}

function checkAttributes(rest: string, at: number, bad: (why: string, at: number) => never): void {
  const seen = new Set<string>();
  let s = rest;
  for (let n = 0; n < 256; n++) {
    s = s.replace(/^\s+/, '');
    if (s === '') return;
    const m = /^([A-Za-z_][A-Za-z0-9_.:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(s);
    if (m === null) bad('malformed attribute', at);
    const [whole, name, , dq, sq] = m;
    if (seen.has(name!)) bad(`attribute ${name} repeated`, at);
    seen.add(name!);
    checkText(dq ?? sq ?? '', at, true, bad);
    s = s.slice(whole.length);
  }
  bad('too many attributes', at);
}
