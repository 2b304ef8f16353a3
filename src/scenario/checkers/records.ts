/** What a scenario files for the checkers while it runs (DESIGN.md invariants that no component records by itself). */

/** One integrity failure the scenario provoked, and how the platform took it (INV-FAIL-CLOSED). */
export interface FailClosedRecord {
  readonly label: string;
  readonly typed: boolean;
  readonly stateUnchanged: boolean;
  readonly detail: string;
}

/**
 * One message on a link outside a single TCB (INV-LINK). The fabric and accelerator issues file these
 * for every link they model; `accepted` means the receiver took the message as genuine.
 */
export interface LinkEvent {
  readonly link: string;
  /** AEAD-protected under keys from an attested handshake. */
  readonly protected: boolean;
  /** What the message was: a genuine one, or one an attacker tampered with, replayed, spliced or reflected. */
  readonly kind: 'genuine' | 'tampered' | 'replayed' | 'spliced' | 'reflected';
  readonly accepted: boolean;
  /** Hex of the (key id, IV) pair used, when protected: INV-LINK says it never repeats. */
  readonly keyIv?: string;
  readonly detail?: string;
}

/** The fate of one message the fabric was asked to deliver (INV-DELIVERY). */
export interface DeliveryEvent {
  readonly messageId: string;
  /** How many times it reached the receiver intact; and whether a typed error was reported instead. */
  readonly deliveredIntact: number;
  readonly deliveredCorrupt: number;
  readonly typedError: string | null;
}

export interface ScenarioRecords {
  readonly failClosed: FailClosedRecord[];
  readonly links: LinkEvent[];
  readonly deliveries: DeliveryEvent[];
}

/** Bound on records of each kind per run: a scenario is a few dozen steps, swarm runs a few thousand. */
export const RECORDS_MAX = 100_000;

export function emptyRecords(): ScenarioRecords {
  return { failClosed: [], links: [], deliveries: [] };
}
