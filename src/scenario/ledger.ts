import { sha256Hex, utf8 } from '../crypto/index.ts';
import { assert } from '../errors.ts';
import { CanarySet, type CanaryEncoding } from './canary.ts';
import type { Principal } from './principals.ts';

/** Items larger than this keep a digest and size instead of their bytes; they are scanned as they pass. */
export const LEDGER_INLINE_BYTES_MAX = 64 * 1024;
/** Observations a ledger holds by default (a judged run refuses past it; a served world forgets its oldest). */
export const LEDGER_OBSERVATIONS_MAX = 1_000_000;

export interface Observation {
  readonly seq: number;
  readonly timeNs: number;
  readonly principal: Principal;
  /** Which interface the bytes came through, e.g. `memory-read`, `vsock 16:49152->3:8000`, `kms-response`. */
  readonly channel: string;
  readonly size: number;
  readonly sha256: string;
  /** Kept for items up to LEDGER_INLINE_BYTES_MAX. */
  readonly bytes: Uint8Array | undefined;
  /** Canaries seen in these bytes at the time they were obtained. */
  readonly canaryHits: ReadonlyArray<{ readonly canary: string; readonly encoding: CanaryEncoding }>;
}

export interface PrincipalSummary {
  readonly observations: number;
  readonly bytes: number;
  readonly channels: readonly string[];
  readonly canariesSeen: readonly string[];
}

/**
 * What a full ledger does: a run that must be judged refuses to go on (its verdicts need every observation); a
 * world served for days forgets its oldest tenth at a time and counts what it forgot.
 */
export type LedgerWhenFull = 'refuse' | 'forget-oldest';

/**
 * Everything any principal obtained through any interface. Canaries are matched when bytes arrive,
 * so bulk transfers need not be kept to be checked.
 */
export class Ledger {
  readonly canaries: CanarySet;
  readonly observationsMax: number;
  readonly whenFull: LedgerWhenFull;
  #observations: Observation[] = [];
  readonly #clockNs: () => number;
  #unscannedBulk = 0;
  #recorded = 0;
  #forgotten = 0;

  constructor(canaries: CanarySet, clockNs: () => number, observationsMax = LEDGER_OBSERVATIONS_MAX, whenFull: LedgerWhenFull = 'refuse') {
    assert(Number.isSafeInteger(observationsMax) && observationsMax >= 1, 'a ledger holds at least one observation');
    this.canaries = canaries;
    this.#clockNs = clockNs;
    this.observationsMax = observationsMax;
    this.whenFull = whenFull;
  }

  record(principal: Principal, channel: string, data: Uint8Array | string): Observation {
    if (this.#observations.length >= this.observationsMax) {
      assert(this.whenFull === 'forget-oldest', 'ledger is full');
      // A tenth at a time keeps forgetting amortised O(1) per record.
      const drop = Math.max(1, Math.ceil(this.observationsMax / 10));
      this.#observations = this.#observations.slice(drop);
      this.#forgotten += drop;
    }
    const bytes = typeof data === 'string' ? utf8(data) : data;
    const observation: Observation = Object.freeze({
      seq: this.#recorded++,
      timeNs: this.#clockNs(),
      principal,
      channel,
      size: bytes.length,
      sha256: sha256Hex(bytes),
      bytes: bytes.length <= LEDGER_INLINE_BYTES_MAX ? bytes.slice() : undefined,
      canaryHits: this.canaries.find(bytes).map((hit) => ({ canary: hit.canary.name, encoding: hit.encoding })),
    });
    this.#observations.push(observation);
    return observation;
  }

  /**
   * Plants a canary and rescans what was already recorded, for secrets that only exist once the
   * flow has started (a data key KMS just generated). Bulk items recorded earlier kept no bytes and
   * cannot be rescanned: `unscannedBulk` counts them so a report can say so.
   */
  plantCanary(name: string, owner: Principal, bytes: Uint8Array): void {
    const canary = this.canaries.plant(name, owner, bytes);
    const probe = new CanarySet();
    probe.plant(canary.name, canary.owner, canary.bytes);
    for (const [i, observation] of this.#observations.entries()) {
      if (observation.bytes === undefined) {
        this.#unscannedBulk++;
        continue;
      }
      const hits = probe.find(observation.bytes).map((hit) => ({ canary: hit.canary.name, encoding: hit.encoding }));
      if (hits.length > 0) this.#observations[i] = Object.freeze({ ...observation, canaryHits: [...observation.canaryHits, ...hits] });
    }
  }

  get unscannedBulk(): number {
    return this.#unscannedBulk;
  }

  /** Observations dropped by a 'forget-oldest' ledger (their seq numbers are the first `forgotten`). */
  get forgotten(): number {
    return this.#forgotten;
  }

  get observations(): readonly Observation[] {
    return this.#observations;
  }

  of(principal: Principal): Observation[] {
    return this.#observations.filter((o) => o.principal === principal);
  }

  summary(): Record<string, PrincipalSummary> {
    const out: Record<string, PrincipalSummary> = {};
    const principals = [...new Set(this.#observations.map((o) => o.principal))].sort();
    for (const principal of principals) {
      const mine = this.of(principal);
      out[principal] = {
        observations: mine.length,
        bytes: mine.reduce((sum, o) => sum + o.size, 0),
        // Ephemeral source ports differ per connection; the summary names the service, not the socket.
        channels: [...new Set(mine.map((o) => o.channel.replace(/(\d+):\d+->/, '$1->')))].sort(),
        canariesSeen: [...new Set(mine.flatMap((o) => o.canaryHits.map((h) => h.canary)))].sort(),
      };
    }
    return out;
  }
}
