import type { CheckVerdict } from './define.ts';
import type { ObservationDigest, RunRecord, ScenarioResult } from './runner.ts';

export interface LedgerRunReport {
  readonly defencesOff: readonly string[];
  readonly outcome: RunRecord['outcome'];
  readonly reason: string;
  readonly digest: string;
  /** Per principal, every observation in the order obtained: channel, size, SHA-256, canary hits — never the bytes. */
  readonly observations: Readonly<Record<string, ReadonlyArray<Omit<ObservationDigest, 'principal'>>>>;
  readonly verdicts: readonly CheckVerdict[];
  readonly notes: readonly string[];
}

export interface LedgerReport {
  readonly seed: number;
  readonly scenarios: ReadonlyArray<{
    readonly id: string;
    readonly name: string;
    readonly attacker: string;
    readonly passed: boolean;
    readonly runs: { readonly defended: LedgerRunReport; readonly control: LedgerRunReport | null };
  }>;
}

function runReport(run: RunRecord): LedgerRunReport {
  const observations: Record<string, Omit<ObservationDigest, 'principal'>[]> = {};
  for (const { principal, ...rest } of run.observations) (observations[principal] ??= []).push(rest);
  return { defencesOff: run.defencesOff, outcome: run.outcome, reason: run.reason, digest: run.digest, observations, verdicts: run.verdicts, notes: run.notes };
}

/** `--ledger FILE`: every principal's observations and every checker's verdict, per scenario and run, for users' own tooling. */
export function ledgerReport(seed: number, results: readonly ScenarioResult[]): LedgerReport {
  return {
    seed,
    scenarios: results.map((r) => ({
      id: r.id,
      name: r.name,
      attacker: r.attacker,
      passed: r.passed,
      runs: { defended: runReport(r.runs.defended), control: r.runs.control === null ? null : runReport(r.runs.control) },
    })),
  };
}
