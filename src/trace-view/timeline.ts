import type { TraceArrow, TraceMark, TraceProbe, TraceRun } from './types.ts';

export type TimelineRow =
  | { readonly kind: 'arrow'; readonly arrow: TraceArrow }
  | { readonly kind: 'probe'; readonly probe: TraceProbe }
  | { readonly kind: 'mark'; readonly mark: TraceMark; readonly index: number }
  | { readonly kind: 'stop'; readonly mark: TraceMark };

/**
 * The diagram's rows top to bottom. Messages and probes come in ledger order (the order in which principals
 * obtained the bytes). A flow step is recorded when it ends, so its divider goes above the first row after
 * the previous step ended and heads what that step caused; a step without rows still shows. A stop goes
 * right after the last row before it.
 */
export function timeline(run: TraceRun): TimelineRow[] {
  const items = [
    ...run.arrows.map((arrow) => ({ row: { kind: 'arrow', arrow } as const, at: arrow.observationSeq, timeNs: arrow.timeNs })),
    ...run.probes.map((probe) => ({ row: { kind: 'probe', probe } as const, at: probe.observationSeq, timeNs: probe.timeNs })),
  ].sort((a, b) => a.at - b.at);
  const { marks, stops } = run;
  const rows: TimelineRow[] = [];
  let m = 0;
  let s = 0;
  for (const { row, timeNs } of items) {
    for (; s < stops.length && stops[s]!.timeNs < timeNs; s++) rows.push({ kind: 'stop', mark: stops[s]! });
    while (m < marks.length && (m === 0 || timeNs > marks[m - 1]!.timeNs)) {
      rows.push({ kind: 'mark', mark: marks[m]!, index: m });
      m++;
      if (timeNs <= marks[m - 1]!.timeNs) break;
    }
    rows.push(row);
  }
  for (; s < stops.length; s++) rows.push({ kind: 'stop', mark: stops[s]! });
  for (; m < marks.length; m++) rows.push({ kind: 'mark', mark: marks[m]!, index: m });
  return rows;
}
