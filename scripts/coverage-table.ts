/**
 * Prints lines/branches coverage per top-level folder of src/ from vitest's json-summary
 * (coverage/coverage-summary.json), as a Markdown table that can go into the README unchanged.
 * Usage: tsx scripts/coverage-table.ts [path/to/coverage-summary.json]
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmuError } from '../src/errors.ts';

export interface CoverageCount {
  total: number;
  covered: number;
}

export interface FolderCoverage {
  folder: string;
  files: number;
  lines: CoverageCount;
  branches: CoverageCount;
}

/** Folders whose bars `npm run coverage` enforces (vitest.config.ts thresholds); marked in the table. */
export const BARRED_FOLDERS: ReadonlyMap<string, { linesPct: number; branchesPct: number }> = new Map([
  ['src/crypto', { linesPct: 95, branchesPct: 90 }],
  ['src/kms', { linesPct: 95, branchesPct: 90 }],
  ['src/enclave', { linesPct: 95, branchesPct: 90 }],
]);

// Files sitting directly in src/ (errors.ts, index.ts) form their own row rather than vanishing.
export const SRC_ROOT_ROW = 'src (files at the top)';
const FILES_MAX = 100_000;

/** Groups the per-file entries of a json-summary by top-level folder of src/; other paths are ignored. */
export function coverageByFolder(summary: unknown, rootDir: string): FolderCoverage[] {
  if (typeof summary !== 'object' || summary === null || Array.isArray(summary)) {
    throw new EmuError('COVERAGE_SUMMARY_INVALID', 'coverage summary is not a JSON object');
  }
  const entries = Object.entries(summary);
  if (entries.length > FILES_MAX) {
    throw new EmuError('COVERAGE_SUMMARY_INVALID', `coverage summary has more than ${FILES_MAX} entries`);
  }
  const byFolder = new Map<string, FolderCoverage>();
  for (const [file, metrics] of entries) {
    if (file === 'total') continue;
    const folder = folderOf(file, rootDir);
    if (folder === undefined) continue;
    const row = byFolder.get(folder) ?? {
      folder,
      files: 0,
      lines: { total: 0, covered: 0 },
      branches: { total: 0, covered: 0 },
    };
    row.files += 1;
    addCount(row.lines, readCount(metrics, 'lines', file));
    addCount(row.branches, readCount(metrics, 'branches', file));
    byFolder.set(folder, row);
  }
  // Code-unit order, not localeCompare: the table must not depend on the machine's locale.
  return [...byFolder.values()].sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
}

/** Percentage with one decimal, or 100 when there is nothing to cover (istanbul's convention). */
export function percent(count: CoverageCount): number {
  if (count.total === 0) return 100;
  // Integer division first so an exact 95% is not floored to 94.9 by a rounding error.
  return Math.floor((count.covered * 1000) / count.total) / 10;
}

/** Folders below their bar, as human-readable lines; empty when every bar is met. */
export function barsMissed(rows: readonly FolderCoverage[]): string[] {
  const missed: string[] = [];
  for (const [folder, bar] of BARRED_FOLDERS) {
    const row = rows.find((r) => r.folder === folder);
    if (row === undefined) continue;
    if (below(row.lines, bar.linesPct)) missed.push(`${folder}: lines ${percent(row.lines)}% < ${bar.linesPct}%`);
    if (below(row.branches, bar.branchesPct)) {
      missed.push(`${folder}: branches ${percent(row.branches)}% < ${bar.branchesPct}%`);
    }
  }
  return missed;
}

export function formatTable(rows: readonly FolderCoverage[]): string {
  const out = ['| Folder | Files | Lines | Branches | Bar (lines / branches) |', '|---|---:|---:|---:|---|'];
  let lines: CoverageCount = { total: 0, covered: 0 };
  let branches: CoverageCount = { total: 0, covered: 0 };
  let files = 0;
  for (const row of rows) {
    const bar = BARRED_FOLDERS.get(row.folder);
    const barText = bar === undefined ? '' : `≥ ${bar.linesPct}% / ≥ ${bar.branchesPct}%`;
    out.push(`| ${row.folder} | ${row.files} | ${cell(row.lines)} | ${cell(row.branches)} | ${barText} |`);
    lines = sum(lines, row.lines);
    branches = sum(branches, row.branches);
    files += row.files;
  }
  out.push(`| **all of src** | ${files} | ${cell(lines)} | ${cell(branches)} | |`);
  return out.join('\n');
}

function below(count: CoverageCount, barPct: number): boolean {
  return count.total > 0 && count.covered * 100 < barPct * count.total;
}

function cell(count: CoverageCount): string {
  return `${percent(count).toFixed(1)}% (${count.covered}/${count.total})`;
}

function sum(a: CoverageCount, b: CoverageCount): CoverageCount {
  return { total: a.total + b.total, covered: a.covered + b.covered };
}

function addCount(into: CoverageCount, add: CoverageCount): void {
  into.total += add.total;
  into.covered += add.covered;
}

function folderOf(file: string, rootDir: string): string | undefined {
  const rel = (isAbsolute(file) ? relative(rootDir, file) : file).split(sep).join('/');
  const parts = rel.split('/');
  if (parts[0] !== 'src' || parts.length < 2) return undefined;
  return parts.length === 2 ? SRC_ROOT_ROW : `src/${parts[1]}`;
}

function readCount(metrics: unknown, key: 'lines' | 'branches', file: string): CoverageCount {
  const m = typeof metrics === 'object' && metrics !== null ? (metrics as Record<string, unknown>)[key] : undefined;
  const count = typeof m === 'object' && m !== null ? (m as Record<string, unknown>) : {};
  const total = count['total'];
  const covered = count['covered'];
  if (
    typeof total !== 'number' || typeof covered !== 'number' ||
    !Number.isSafeInteger(total) || !Number.isSafeInteger(covered) || covered < 0 || covered > total
  ) {
    throw new EmuError('COVERAGE_SUMMARY_INVALID', `bad ${key} counts for ${file}`, { file, key });
  }
  return { total, covered };
}

function main(argv: readonly string[]): number {
  const path = resolve(argv[0] ?? 'coverage/coverage-summary.json');
  if (!existsSync(path)) {
    process.stderr.write(`no coverage summary at ${path}: run \`npm run coverage\` first\n`);
    return 1;
  }
  const rows = coverageByFolder(JSON.parse(readFileSync(path, 'utf8')), process.cwd());
  process.stdout.write(`Coverage per folder of src/ (from ${relative(process.cwd(), path)}):\n\n`);
  process.stdout.write(`${formatTable(rows)}\n`);
  const missed = barsMissed(rows);
  for (const line of missed) process.stdout.write(`below bar: ${line}\n`);
  // The thresholds in vitest.config.ts already fail the run; this exit code makes the table step agree.
  return missed.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
