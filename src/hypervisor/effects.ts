import { assert } from '../errors.ts';
import type { AuditEntry, TraceValue } from '../sim/index.ts';

/**
 * One thing the operator API did to the host (a state change, or data handed out): the ground truth
 * INV-AUDIT compares with the audit log. `auditHash` is the hash of the `attempt` entry written before
 * the effect, or null when the host acted without one (a conventional host with `auditBeforeEffect` off).
 */
export interface HostEffect {
  readonly index: number;
  readonly timeMs: number;
  readonly actor: string;
  readonly action: string;
  readonly details: Readonly<Record<string, TraceValue>>;
  readonly auditHash: string | null;
}

const EFFECTS_MAX = 1_000_000;

/**
 * The host's effects journal. It stands for what the hardware actually did, so it sits outside every
 * principal's reach: only the host appends, and readers get frozen entries.
 */
export class EffectsJournal {
  readonly #entries: HostEffect[] = [];

  record(effect: Omit<HostEffect, 'index'>): HostEffect {
    assert(this.#entries.length < EFFECTS_MAX, 'effects journal is full');
    const entry: HostEffect = Object.freeze({ ...effect, details: Object.freeze({ ...effect.details }), index: this.#entries.length });
    this.#entries.push(entry);
    return entry;
  }

  get entries(): readonly HostEffect[] {
    return [...this.#entries];
  }
}

/**
 * Effects with no audit entry in `log`: written without one, or whose entry has since gone (a log
 * rewritten after the fact still verifies as a chain, but no longer holds the entry the effect points to).
 */
export function unauditedEffects(effects: readonly HostEffect[], log: readonly AuditEntry[]): HostEffect[] {
  const attempts = new Map<string, AuditEntry>();
  for (const entry of log) if (entry.outcome === 'attempt') attempts.set(entry.hash, entry);
  return effects.filter((effect) => {
    if (effect.auditHash === null) return true;
    const entry = attempts.get(effect.auditHash);
    return entry === undefined || entry.action !== effect.action || entry.actor !== effect.actor;
  });
}
