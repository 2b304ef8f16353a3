import { EmuError } from '../errors.ts';
import { AuditLog, type AuditEntry, type TraceValue } from '../sim/index.ts';
import { EffectsJournal, type HostEffect } from './effects.ts';

/**
 * The host's audit log and its effects journal, kept together so that every operator action passes
 * both: the log entry first (unless the host was built without `auditBeforeEffect`), the effect always.
 */
export class HostAuditTrail {
  readonly #effects = new EffectsJournal();
  readonly #clockMs: () => number;
  readonly #auditBeforeEffect: boolean;
  #log: AuditLog;

  constructor(clockMs: () => number, auditBeforeEffect: boolean) {
    this.#clockMs = clockMs;
    this.#auditBeforeEffect = auditBeforeEffect;
    this.#log = new AuditLog('host', clockMs);
  }

  get log(): AuditLog {
    return this.#log;
  }

  get effects(): readonly HostEffect[] {
    return this.#effects.entries;
  }

  /** Whether the operator's actions are written to the log (false only on a host built without it). */
  get operatorAudited(): boolean {
    return this.#auditBeforeEffect;
  }

  operatorAction<T>(action: string, details: Record<string, TraceValue>, run: () => T): T {
    const audited = this.#auditBeforeEffect;
    const attempt = audited ? this.#log.append('operator', action, 'attempt', details) : null;
    try {
      const result = run();
      this.#effects.record({ timeMs: this.#clockMs(), actor: 'operator', action, details, auditHash: attempt?.hash ?? null });
      if (audited) this.#log.append('operator', action, 'ok', details);
      return result;
    } catch (error) {
      if (audited) this.#log.append('operator', action, 'error', { ...details, code: (error as EmuError).code ?? 'UNKNOWN' });
      throw error;
    }
  }

  /**
   * A conventional host's log is just a file its admin can edit: rebuild it from the entries `keep`
   * retains, with their original times. The new chain verifies; only the effects journal still knows
   * what happened. Refused on a host that audits before effect (its log is append-only to everyone).
   */
  rewrite(keep: (entry: AuditEntry) => boolean): number {
    if (this.#auditBeforeEffect) throw new EmuError('HV_AUDIT_APPEND_ONLY', 'the audit log is append-only');
    const kept = this.#log.entries.filter(keep);
    let i = 0;
    const log = new AuditLog('host', () => kept[i]?.timeMs ?? this.#clockMs());
    for (; i < kept.length; i++) {
      const entry = kept[i]!;
      log.append(entry.actor, entry.action, entry.outcome, { ...entry.details });
    }
    const dropped = this.#log.entries.length - kept.length;
    this.#log = log;
    return dropped;
  }
}
