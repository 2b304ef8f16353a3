import { BENCHMARKS, type BenchResult } from '../../../bench/index.ts';
import { EmuError } from '../../errors.ts';
import { optionalInteger } from '../args.ts';
import { printJson, type Command } from '../command.ts';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure speed as ratios against a ceiling measured in the same run',
  usage: `nitro-emu bench [--only NAME,…] [--budget-ms N] [--json]

Each benchmark runs its operation and a ceiling (node:crypto's raw primitive on the same bytes) in
interleaved rounds, and reports value / ceiling: a ratio that travels between machines, unlike a
time. Wall-clock time, not virtual time. Benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}.
  --json   prints [{name, value, unit, ceiling, ratio}] on stdout`,
  args: { values: ['only', 'budget-ms'], booleans: ['json'] },
  async run(args, io) {
    const only = args.values.get('only')?.split(',').map((s) => s.trim()).filter(Boolean);
    for (const name of only ?? []) {
      if (!BENCHMARKS.some((b) => b.name === name)) {
        throw new EmuError('CLI_BAD_ARGS', `unknown benchmark ${JSON.stringify(name)}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
      }
    }
    const budgetMs = optionalInteger(args, 'budget-ms', 2000, 600_000);
    const chosen = BENCHMARKS.filter((b) => only === undefined || only.includes(b.name));
    const results: BenchResult[] = [];
    for (const [i, bench] of chosen.entries()) {
      if (io.stderrIsTty) io.stderr(`\r[${i + 1}/${chosen.length}] ${bench.name}…   `);
      results.push(await bench.run(budgetMs));
    }
    if (io.stderrIsTty) io.stderr('\r\x1b[K');
    let allMet = true;
    for (const r of results) if (r.bar !== undefined && r.ratio < r.bar) allMet = false;
    if (args.booleans.has('json')) {
      printJson(io, results.map((r) => ({ name: r.name, value: round(r.value), unit: r.unit, ceiling: round(r.ceiling), ratio: round(r.ratio, 3), ...(r.bar !== undefined ? { bar: r.bar } : {}), ...(r.detail !== undefined ? { detail: r.detail } : {}) })));
    } else {
      for (const r of results) {
        const verdict = r.bar === undefined ? 'reported' : r.ratio >= r.bar ? `meets ≥ ${r.bar}` : `BELOW ${r.bar}`;
        io.stdout(`${r.name.padEnd(22)} ${round(r.value).toString().padStart(9)} ${r.unit.padEnd(14)} ratio ${r.ratio.toFixed(3)}  (${verdict})\n`);
        io.stdout(`${''.padEnd(22)} ceiling ${round(r.ceiling)}: ${r.ceilingMeaning}\n`);
        for (const line of r.detail?.split('\n') ?? []) io.stdout(`${''.padEnd(22)} ${line}\n`);
      }
    }
    return allMet ? 0 : 1;
  },
};

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
