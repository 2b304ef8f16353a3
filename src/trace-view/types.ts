import type { Principal } from '../scenario/index.ts';

export type Protection = 'plaintext' | 'ciphertext';

/** One message as the page shows it: who sent it to whom, and who could read what crossed. */
export interface TraceMessage {
  readonly seq: number;
  /** The ledger seq of its bytes: orders messages among the other things principals obtained. */
  readonly observationSeq: number;
  readonly timeNs: number;
  readonly from: Principal;
  readonly to: Principal;
  /** The ledger's channel label with ephemeral ports dropped (`vsock 16->3:8000`). */
  readonly channel: string;
  readonly size: number;
  readonly protection: Protection;
  /** Principals that could read the content: the key holders for ciphertext, everyone who got it for plaintext. */
  readonly readableBy: readonly Principal[];
  /** What it is, in a few words (`KMS Decrypt request`, `secure-channel record`). */
  readonly what: string;
  readonly canaries: readonly string[];
  /** A canary in it is readable by someone who is neither its owner nor in the TCB. */
  readonly leak: boolean;
  readonly observedBy?: Principal;
}

/** Consecutive messages of the same kind drawn as one arrow (a bulk transfer is dozens of frames). */
export interface TraceArrow {
  readonly firstSeq: number;
  readonly observationSeq: number;
  readonly timeNs: number;
  readonly from: Principal;
  readonly to: Principal;
  readonly channel: string;
  readonly protection: Protection;
  readonly readableBy: readonly Principal[];
  readonly what: string;
  readonly count: number;
  /** Set when the arrow stands for one step of a block of arrows that repeated `rounds` times in a row. */
  readonly rounds?: number;
  readonly bytes: number;
  readonly canaries: readonly string[];
  readonly leak: boolean;
  readonly observedBy?: Principal;
}

/**
 * Bytes a principal obtained on its own, with no sender: a memory or BAR read, an operator API call, a console
 * line. Attacks are mostly these; consecutive alike ones are one probe with a count.
 */
export interface TraceProbe {
  readonly observationSeq: number;
  readonly timeNs: number;
  readonly principal: Principal;
  readonly channel: string;
  readonly count: number;
  readonly bytes: number;
  readonly canaries: readonly string[];
  readonly leak: boolean;
}

export interface LedgerRow {
  readonly principal: Principal;
  readonly channel: string;
  readonly items: number;
  readonly bytes: number;
  readonly canaries: readonly string[];
  /** Canaries this principal should never have held (not its own, and it is not in the TCB). */
  readonly leaked: readonly string[];
}

export interface VerdictRow {
  readonly invariant: string;
  readonly held: boolean;
  readonly detail: string;
}

/** A divider in the diagram: a flow step or a scenario note, at the virtual time it ended. */
export interface TraceMark {
  readonly timeNs: number;
  readonly title: string;
}

/** Where a run stopped an attack: the refusal's code and the virtual time the run ended. */
export interface TraceRefusal {
  readonly code: string;
  readonly reason: string;
  readonly timeNs: number;
}

export interface TraceRun {
  readonly heading: string;
  /** One line under the heading: outcome, defences off, the digest. */
  readonly summary: string;
  readonly lanes: readonly Principal[];
  readonly arrows: readonly TraceArrow[];
  readonly probes: readonly TraceProbe[];
  /** Probes past PROBES_MAX, not drawn. */
  readonly omittedProbes: number;
  /** Messages in the run (every arrow's count added up, plus the ones past the arrow cap). */
  readonly messageCount: number;
  /** Messages not drawn because the diagram reached its arrow cap. */
  readonly omittedMessages: number;
  readonly marks: readonly TraceMark[];
  /** Refusals the run's trace recorded (a KMS denial, a failed tag check), drawn where they happened. */
  readonly stops: readonly TraceMark[];
  /** The scenario's own notes on what its attack did. */
  readonly notes: readonly string[];
  readonly ledger: readonly LedgerRow[];
  readonly verdicts: readonly VerdictRow[];
  readonly refusal: TraceRefusal | null;
}

export interface TracePage {
  readonly title: string;
  readonly subtitle: string;
  readonly runs: readonly TraceRun[];
}
