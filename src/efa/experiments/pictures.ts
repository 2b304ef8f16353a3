// One SVG per experiment, drawing every transport run of it side by side (research/efa-srd.md §6): FCT and message
// latency CDFs (E1), goodput around the failure (E2), latency CDF under loss (E3), completion and fairness per N (E4).
import { EmuError } from '../../errors.ts';
import { cdfPoints } from './stats.ts';
import { figure, type ChartSeries, type Panel } from './svg.ts';
import type { ExperimentResult, PerN } from './types.ts';

export function experimentSvg(results: readonly ExperimentResult[]): string {
  const first = results[0];
  if (first === undefined) throw new EmuError('EFA_PICTURE_EMPTY', 'no results to draw');
  if (results.some((r) => r.experiment !== first.experiment)) throw new EmuError('EFA_PICTURE_MIXED', 'results of different experiments cannot share a picture');
  const tag = (r: ExperimentResult): string => `${r.transport}${r.encrypt ? ' (enc)' : ''}`;
  const seedNote = `seed ${first.seed}`;
  switch (first.experiment) {
    case 'E1':
      return figure(`E1 ECMP collisions vs spraying — 8→8 permutation, 2 MiB flows (${seedNote})`, [
        cdfPanel('Flow completion time CDF', 'FCT / ideal (log scale)', results.map((r) => ({ name: `${tag(r)} p50 ${short(r, 'fctP50OverIdeal')}×`, values: r.series.samples ?? [] }))),
        cdfPanel('64 KiB message latency CDF (closed loop)', 'latency (µs, log scale)', results.map((r) => ({ name: `${tag(r)} p99.9 ${short(r, 'msgLatencyP999Us')} µs`, values: r.series.messageLatencyUs ?? [] }))),
      ]);
    case 'E2':
      return figure(`E2 spine uplink black hole at t = 0, routing converges at +50 ms (${seedNote})`, [
        {
          title: 'Aggregate goodput, 50 µs trailing window',
          xLabel: 'time since the failure (µs)',
          yLabel: 'goodput (Gb/s)',
          yMin: 0,
          series: results.map((r) => ({ name: `${tag(r)} recovery ${short(r, 'recoveryUs')} µs`, points: r.series.goodputGbps ?? [] })),
        },
      ]);
    case 'E3':
      return figure(`E3 message latency under ${num(first, 'lossProbability') * 100}% random loss, 64 KiB messages (${seedNote})`, [
        cdfPanel('Message latency CDF', 'latency (µs, log scale)', results.map((r) => ({ name: `${tag(r)} goodput ${(num(r, 'goodputFraction') * 100).toFixed(1)}%`, values: r.series.samples ?? [] }))),
      ]);
    case 'E4':
      return figure(`E4 incast N → 1, 1 MiB per sender (${seedNote})`, [
        { ...perNPanel(results, 'Job completion time (a failed N is left out)', 'completionOverIdeal', 'completion / ideal (log scale)', tag), yLog: true },
        { ...perNPanel(results, 'Fairness (steady middle of the job)', 'jainFairness', "Jain's index", tag), yMax: 1 },
      ]);
  }
}

function num(r: ExperimentResult, name: string): number {
  const v = r.metrics[name];
  return typeof v === 'number' ? v : Number.NaN;
}

/** Three significant digits for legends. */
function short(r: ExperimentResult, name: string): string {
  return String(Number(num(r, name).toPrecision(3)));
}

function cdfPanel(title: string, xLabel: string, runs: ReadonlyArray<{ name: string; values: readonly number[] }>): Panel {
  const series: ChartSeries[] = runs.map((run) => ({ name: run.name, points: cdfPoints(run.values) }));
  return { title, xLabel, yLabel: 'fraction ≤ x', xLog: true, yMin: 0, yMax: 1, series };
}

function perNPanel(results: readonly ExperimentResult[], title: string, key: string, yLabel: string, tag: (r: ExperimentResult) => string): Panel {
  const series: ChartSeries[] = results.map((r) => {
    const byN = (r.metrics['byN'] ?? {}) as PerN;
    const points = Object.entries(byN)
      .map(([n, values]) => [Number(n), values[key] ?? Number.NaN] as const)
      .sort((a, b) => a[0] - b[0]);
    const failed = Object.entries(byN).filter(([, values]) => (values['appErrors'] ?? 0) > 0).map(([n]) => n);
    return { name: `${tag(r)}${failed.length > 0 ? ` (failed at N=${failed.join(',')})` : ''}`, points };
  });
  return { title, xLabel: 'senders N', yLabel, markers: true, yMin: 0, series };
}
