import type { ScenarioResult } from './runner.ts';

/** The `--json` contract of `nitro-emu scenario run` (issue 3): exactly these fields, in this order. */
export interface ResultsJson {
  readonly seed: number;
  readonly results: ReadonlyArray<{
    readonly id: string;
    readonly name: string;
    readonly attacker: string;
    readonly expect: 'blocked' | 'succeeds';
    readonly outcome: 'blocked' | 'leaked' | 'error';
    readonly control: 'leaked' | 'blocked' | 'error' | null;
    readonly reason: string;
  }>;
}

export function resultsJson(seed: number, results: readonly ScenarioResult[]): ResultsJson {
  return {
    seed,
    results: results.map((r) => ({ id: r.id, name: r.name, attacker: r.attacker, expect: r.expect, outcome: r.outcome, control: r.control, reason: r.reason })),
  };
}

/** The one command that reruns a scenario exactly (same seed, same worlds, same result). */
export function reproCommand(result: Pick<ScenarioResult, 'id'>, seed: number, file?: string): string {
  return file !== undefined ? `npx nitro-emu scenario run --file ${file} --seed ${seed}` : `npx nitro-emu scenario run ${result.id} --seed ${seed}`;
}

/** Bound on the reason column on a terminal; JSON and JUnit carry it whole. */
const REASON_COLUMN_MAX = 120;

/** The console table: one row per scenario, in the order run. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const header = ['id', 'name', 'attacker', 'expect', 'outcome', 'control', 'result', 'reason'];
  const rows = results.map((r) => [
    r.id,
    r.name,
    r.attacker,
    r.expect,
    r.outcome,
    r.control ?? '-',
    r.passed ? 'pass' : 'FAIL',
    r.reason.length > REASON_COLUMN_MAX ? `${r.reason.slice(0, REASON_COLUMN_MAX - 1)}…` : r.reason,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  // The last column is left ragged: padding it only adds trailing spaces.
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  const passed = results.filter((r) => r.passed).length;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', `${passed}/${results.length} passed`].join('\n') + '\n';
}
