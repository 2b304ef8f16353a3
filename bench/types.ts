export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly ceiling: number;
  readonly ceilingMeaning: string;
  /** value / ceiling */
  readonly ratio: number;
  /** The ratio the project promises, when it promises one. */
  readonly bar?: number;
  /** Lines for people: what was measured beside the ratio (e.g. virtual-time overheads and the figures they are read against). */
  readonly detail?: string;
}
