// The fuzzer's contracts: a target turns one input (bytes) into a valid result or a typed refusal; the harness
// counts anything else as a crash. Everything here is a tool beside the emulator (like bench/), not emulator code.

/** What one input came to when it did not throw: accepted, or refused in the module's typed way (a 4xx, an ERROR). */
export type Verdict = 'valid' | 'typed';

/** Input shape, which picks the structure-aware mutators on top of the byte-level ones. */
export type InputFormat = 'bytes' | 'cbor' | 'der' | 'json' | 'text' | 'records';

export interface TargetInstance {
  /** Valid inputs built with the project's own builders and the real fixtures. */
  readonly seeds: readonly Uint8Array[];
  /**
   * Runs one input against the real entry point. Returns a verdict, or throws: an EmuError (KmsError included) is
   * a typed refusal, anything else a crash. Stateful targets throw StateChangedAfterRefusal when a refusal
   * changed protected state.
   */
  run(input: Uint8Array): Verdict;
}

export interface FuzzTarget {
  readonly name: string;
  readonly format: InputFormat;
  /** For 'records' inputs: the format of each record. */
  readonly recordFormat?: InputFormat;
  /** Builds keys, PKIs and services once per run (not timed per input). */
  setup(): TargetInstance;
}

/** Thrown by a stateful target when a refused input left protected state different from before. */
export class StateChangedAfterRefusal extends Error {
  constructor(what: string) {
    super(`protected state changed after a refusal: ${what}`);
    this.name = 'StateChangedAfterRefusal';
  }
}

/** The per-target numbers of the --json contract (plus a few extra fields for humans). */
export interface TargetReport {
  readonly name: string;
  readonly inputs: number;
  readonly typedErrors: number;
  readonly valid: number;
  readonly crashes: number;
  readonly hangs: number;
  readonly seconds: number;
  readonly heapGrowthMb: number;
  readonly stoppedBy: 'iterations' | 'seconds';
  readonly reproducers: readonly string[];
  /** First few crash messages, for the report. */
  readonly crashSamples: readonly string[];
}
