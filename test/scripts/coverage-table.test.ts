import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { isEmuError } from '../../src/errors.ts';
import {
  barsMissed,
  coverageByFolder,
  formatTable,
  percent,
  SRC_ROOT_ROW,
} from '../../scripts/coverage-table.ts';

const ROOT = '/repo';

function entry(linesCovered: number, linesTotal: number, branchesCovered: number, branchesTotal: number) {
  const pct = (c: number, t: number) => (t === 0 ? 100 : (100 * c) / t);
  return {
    lines: { total: linesTotal, covered: linesCovered, skipped: 0, pct: pct(linesCovered, linesTotal) },
    statements: { total: linesTotal, covered: linesCovered, skipped: 0, pct: pct(linesCovered, linesTotal) },
    functions: { total: 1, covered: 1, skipped: 0, pct: 100 },
    branches: { total: branchesTotal, covered: branchesCovered, skipped: 0, pct: pct(branchesCovered, branchesTotal) },
  };
}

describe('coverage table', () => {
  it('sums files per top-level folder of src/, skipping total and paths outside src/', () => {
    const summary = {
      total: entry(1, 1, 1, 1),
      [join(ROOT, 'src/kms/a.ts')]: entry(10, 20, 1, 4),
      [join(ROOT, 'src/kms/deep/b.ts')]: entry(30, 30, 3, 4),
      [join(ROOT, 'src/crypto/c.ts')]: entry(5, 5, 0, 0),
      [join(ROOT, 'src/errors.ts')]: entry(2, 4, 1, 2),
      [join(ROOT, 'scripts/x.ts')]: entry(0, 100, 0, 100),
    };
    const rows = coverageByFolder(summary, ROOT);
    expect(rows.map((r) => r.folder)).toEqual([SRC_ROOT_ROW, 'src/crypto', 'src/kms']);
    const kms = rows.find((r) => r.folder === 'src/kms');
    expect(kms).toEqual({ folder: 'src/kms', files: 2, lines: { total: 50, covered: 40 }, branches: { total: 8, covered: 4 } });
    expect(rows.find((r) => r.folder === SRC_ROOT_ROW)?.files).toBe(1);
  });

  it('accepts paths relative to the root', () => {
    const rows = coverageByFolder({ 'src/enclave/eif.ts': entry(3, 4, 1, 1) }, ROOT);
    expect(rows).toEqual([{ folder: 'src/enclave', files: 1, lines: { total: 4, covered: 3 }, branches: { total: 1, covered: 1 } }]);
  });

  it('floors percentages to one decimal and treats nothing-to-cover as 100%', () => {
    expect(percent({ covered: 19, total: 20 })).toBe(95);
    expect(percent({ covered: 1999, total: 2000 })).toBe(99.9);
    expect(percent({ covered: 2, total: 3 })).toBe(66.6);
    expect(percent({ covered: 0, total: 0 })).toBe(100);
  });

  it('reports a barred folder just under its bar and passes one exactly at it', () => {
    const at = coverageByFolder({ 'src/kms/a.ts': entry(95, 100, 90, 100) }, ROOT);
    expect(barsMissed(at)).toEqual([]);
    const under = coverageByFolder({ 'src/kms/a.ts': entry(949, 1000, 90, 100), 'src/sim/x.ts': entry(0, 10, 0, 10) }, ROOT);
    expect(barsMissed(under)).toEqual(['src/kms: lines 94.9% < 95%']);
    const branchesUnder = coverageByFolder({ 'src/crypto/a.ts': entry(100, 100, 89, 100) }, ROOT);
    expect(barsMissed(branchesUnder)).toEqual(['src/crypto: branches 89% < 90%']);
  });

  it('formats a Markdown table with a total row', () => {
    const rows = coverageByFolder({ 'src/kms/a.ts': entry(1, 2, 1, 4), 'src/sim/b.ts': entry(3, 3, 0, 0) }, ROOT);
    const lines = formatTable(rows).split('\n');
    expect(lines[2]).toBe('| src/kms | 1 | 50.0% (1/2) | 25.0% (1/4) | ≥ 95% / ≥ 90% |');
    expect(lines[3]).toBe('| src/sim | 1 | 100.0% (3/3) | 100.0% (0/0) |  |');
    expect(lines[4]).toBe('| **all of src** | 2 | 80.0% (4/5) | 25.0% (1/4) | |');
  });

  it('rejects a summary with missing or impossible counts', () => {
    const bad = [
      [],
      null,
      { 'src/kms/a.ts': { lines: { total: 1 } } },
      { 'src/kms/a.ts': { ...entry(1, 1, 1, 1), branches: { total: 1, covered: 2 } } },
      { 'src/kms/a.ts': { ...entry(1, 1, 1, 1), lines: { total: 1.5, covered: 1 } } },
    ];
    for (const summary of bad) {
      let caught: unknown;
      try {
        coverageByFolder(summary, ROOT);
      } catch (error) {
        caught = error;
      }
      expect(isEmuError(caught, 'COVERAGE_SUMMARY_INVALID')).toBe(true);
    }
  });
});
