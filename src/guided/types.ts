import type { LogSink } from '../sim/index.ts';
import type { DefenceName, Scenario } from '../scenario/index.ts';

/**
 * How a guided run ended. `ready`: the enclave got its key and served; `protected`: the job ran and the attacker
 * obtained nothing it could read; `denied`: the platform refused (no key, no transfer) and no checker saw a
 * violation; `leaked`: a checker saw the violation the defence exists to prevent; `error`: none of these.
 */
export type GuidedOutcome = 'ready' | 'protected' | 'denied' | 'leaked' | 'error';

/** One narrated step: written for someone who has never seen an enclave. */
export interface GuidedStep {
  readonly step: number;
  readonly title: string;
  /** What happens, in plain words, with the facts of this run. */
  readonly what: string;
  /** Who sees what: which principal could read which bytes. */
  readonly who: string;
  /** Why it is safe, or why it was stopped (or, in the control, what the missing defence let through). */
  readonly why: string;
  /** Virtual time (ns) when the step's facts were established. */
  readonly vtNs: number;
}

export interface GuidedRunOptions {
  readonly seed: number;
  /** UTC instant of virtual time 0. */
  readonly epochMs: number;
  /** True: the demo's defence is off (the negative control). */
  readonly control: boolean;
  /** The world's trace log (single-host worlds; a cluster's worlds do not log). */
  readonly log?: LogSink;
  /** The scenario catalogue, for the demos built on a catalogue scenario (the CLI passes src/scenario/catalogue). */
  readonly catalogue?: readonly Scenario<any>[];
}

/** What a demo's run reports besides its steps (the registry adds the demo's identity and the verdict). */
export interface GuidedRunReport {
  readonly outcome: GuidedOutcome;
  /** One line: the refusal and its code, the leak, or what completed. */
  readonly reason: string;
  readonly digest: string;
  readonly virtualTimeNs: number;
}

export interface GuidedDemo {
  /** The name on the command line, e.g. `replayed-attestation`. */
  readonly id: string;
  /** One line for `demo --list`. */
  readonly title: string;
  /** The switch `--control` turns off. */
  readonly defence: DefenceName;
  /** The outcome the lesson shows, defended and as the control. */
  readonly expect: { readonly defended: GuidedOutcome; readonly control: GuidedOutcome };
  /** Related commands a newcomer can run next (catalogue scenarios, demo flags). */
  readonly seeAlso: readonly string[];
  run(options: GuidedRunOptions, say: Narrator): Promise<GuidedRunReport>;
}

/** Files the next step; the demo calls it as its facts become known. */
export type Narrator = (step: Omit<GuidedStep, 'step' | 'vtNs'>, vtNs: number) => void;

/** A finished guided run: everything `--json` prints. */
export interface GuidedResult {
  readonly demo: string;
  readonly title: string;
  readonly seed: number;
  readonly epochMs: number;
  readonly control: boolean;
  readonly defence: DefenceName;
  readonly outcome: GuidedOutcome;
  readonly expected: GuidedOutcome;
  /** The run ended as the lesson says it should. */
  readonly asExpected: boolean;
  readonly reason: string;
  readonly steps: readonly GuidedStep[];
  readonly digest: string;
  readonly virtualTimeNs: number;
  readonly reproduce: string;
  readonly seeAlso: readonly string[];
}
