import { Sha256Stream, sha256, toHex, utf8 } from '../crypto/index.ts';
import { assert } from '../errors.ts';
import { canonicalJson, type TraceValue } from './trace.ts';

export interface AuditEntry {
  readonly index: number;
  readonly timeMs: number;
  readonly actor: string;
  readonly action: string;
  readonly outcome: 'attempt' | 'ok' | 'denied' | 'error';
  readonly details: Readonly<Record<string, TraceValue>>;
  /** SHA-256 over the previous entry's hash and this entry's canonical JSON. */
  readonly hash: string;
  readonly previousHash: string;
}

const GENESIS = '0'.repeat(64);

/**
 * An append-only, hash-chained log. Components write the `attempt` entry before the action takes
 * effect (INV-AUDIT), then its outcome. `verify()` recomputes the chain; any edit breaks it.
 */
export class AuditLog {
  readonly name: string;
  readonly entriesMax: number;
  readonly #entries: AuditEntry[] = [];
  readonly #clockMs: () => number;

  constructor(name: string, clockMs: () => number, entriesMax = 1_000_000) {
    this.name = name;
    this.#clockMs = clockMs;
    this.entriesMax = entriesMax;
  }

  append(
    actor: string,
    action: string,
    outcome: AuditEntry['outcome'],
    details: Record<string, TraceValue> = {},
  ): AuditEntry {
    assert(this.#entries.length < this.entriesMax, `audit log ${this.name} is full`);
    const previousHash = this.#entries.at(-1)?.hash ?? GENESIS;
    const body = { index: this.#entries.length, timeMs: this.#clockMs(), actor, action, outcome, details };
    const hash = toHex(sha256(utf8(previousHash + canonicalJson(body))));
    const entry: AuditEntry = Object.freeze({ ...body, details: Object.freeze({ ...details }), hash, previousHash });
    this.#entries.push(entry);
    return entry;
  }

  get entries(): readonly AuditEntry[] {
    return this.#entries;
  }

  get head(): string {
    return this.#entries.at(-1)?.hash ?? GENESIS;
  }

  /** Recomputes every link; returns the index of the first broken entry, or -1 when the chain holds. */
  verify(entries: readonly AuditEntry[] = this.#entries): number {
    let previousHash = GENESIS;
    for (const [i, entry] of entries.entries()) {
      const { hash, previousHash: claimed, ...body } = entry;
      const expected = toHex(sha256(utf8(previousHash + canonicalJson(body))));
      if (claimed !== previousHash || hash !== expected || entry.index !== i) return i;
      previousHash = hash;
    }
    return -1;
  }

  digest(): string {
    const stream = new Sha256Stream();
    for (const entry of this.#entries) stream.update(entry.hash);
    return stream.peekHex();
  }
}
