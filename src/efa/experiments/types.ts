import type { TransportKind } from '../contracts.ts';

export type ExperimentId = 'E1' | 'E2' | 'E3' | 'E4';
export const EXPERIMENT_IDS: readonly ExperimentId[] = ['E1', 'E2', 'E3', 'E4'];

/** Metric names say their unit (…Us, …OverIdeal, …Fraction); E4 adds per-N values under `byN`. */
export type PerN = Readonly<Record<string, Readonly<Record<string, number>>>>;
export interface Metrics {
  readonly [name: string]: number | PerN;
}

/** What the pictures draw: CDF samples and time series, in the units their names say. */
export interface ExperimentSeries {
  /** E1: flow completion times over ideal; E3: message latencies in µs. */
  readonly samples?: readonly number[];
  /** E1: 64 KiB message latency (µs) in the closed loop. */
  readonly messageLatencyUs?: readonly number[];
  /** E2: aggregate goodput over time around the failure: [µs since the failure, Gb/s]. */
  readonly goodputGbps?: ReadonlyArray<readonly [number, number]>;
}

export interface ExperimentResult {
  readonly experiment: ExperimentId;
  readonly transport: TransportKind;
  readonly encrypt: boolean;
  readonly seed: number;
  readonly metrics: Metrics;
  readonly series: ExperimentSeries;
  /** Simulated events and virtual time of the whole run (the bench's numerator). */
  readonly events: number;
  readonly virtualPs: number;
  /** The fabrics' packet-trace digests, joined: the same seed and options give the same string. */
  readonly digest: string;
}
