import type { Host } from '../hypervisor/index.ts';
import type { KmsService } from '../kms/index.ts';
import { findLeaks, type Leak, type Ledger } from '../scenario/index.ts';
import type { AuditEntry } from '../sim/index.ts';

export interface InvariantVerdict {
  readonly held: boolean;
  readonly detail: string;
}

export interface InvariantInputs {
  readonly ledger: Ledger;
  readonly host: Host;
  readonly kms: KmsService;
  readonly approvedPcr0: string;
  readonly ownerArn: string;
  /** Frames of enclaves that were terminated during the run. */
  readonly releasedFrames: readonly number[];
  readonly maxDocumentAgeMs: number;
}

/** Checkers only read: they look at the ledger, the audit logs, KMS's release record and physical memory. */
export function checkInvariants(input: InvariantInputs): { verdicts: Record<string, InvariantVerdict>; leaks: Leak[] } {
  const leaks = findLeaks(input.ledger);
  const verdicts: Record<string, InvariantVerdict> = {
    'INV-NO-CANARY': {
      held: leaks.length === 0,
      detail:
        leaks.length === 0
          ? `no canary in any non-TCB ledger (${input.ledger.observations.length} observations scanned)`
          : leaks.map((l) => `${l.canary} (${l.canaryOwner}'s) seen by ${l.principal} via ${l.channel} as ${l.encoding}`).join('; '),
    },
    'INV-KEYS-ATTESTED': keysAttested(input),
    'INV-AUDIT': auditHolds(input.host.audit.entries, input.host.audit.verify(), input.kms.audit.entries, input.kms.audit.verify()),
    'INV-SCRUB': scrubbed(input),
  };
  return { verdicts, leaks };
}

function keysAttested(input: InvariantInputs): InvariantVerdict {
  const bad = input.kms.releases.filter((release) => {
    if (release.via === 'recipient') return release.pcr0 !== input.approvedPcr0;
    // Plaintext is allowed only to the owner, whose own GenerateDataKey envelope-encrypts the weights.
    return release.caller !== input.ownerArn;
  });
  return {
    held: bad.length === 0,
    detail:
      bad.length === 0
        ? `${input.kms.releases.length} releases: to the approved image by recipient, or in plaintext to the owner only`
        : bad.map((r) => `${r.operation} via ${r.via} to ${r.caller}${r.pcr0 ? ` (PCR0 ${r.pcr0.slice(0, 12)}…)` : ''}`).join('; '),
  };
}

function auditHolds(
  hostEntries: readonly AuditEntry[],
  hostBroken: number,
  kmsEntries: readonly AuditEntry[],
  kmsBroken: number,
): InvariantVerdict {
  if (hostBroken !== -1) return { held: false, detail: `host audit chain broken at entry ${hostBroken}` };
  if (kmsBroken !== -1) return { held: false, detail: `KMS audit chain broken at entry ${kmsBroken}` };
  for (const entries of [hostEntries, kmsEntries]) {
    const open = new Map<string, number>();
    for (const entry of entries) {
      const key = `${entry.actor}|${entry.action}`;
      if (entry.outcome === 'attempt') open.set(key, (open.get(key) ?? 0) + 1);
      else {
        const pending = open.get(key) ?? 0;
        if (pending === 0) return { held: false, detail: `${entry.action} by ${entry.actor} took effect with no prior audit entry` };
        open.set(key, pending - 1);
      }
    }
  }
  return { held: true, detail: `${hostEntries.length} host and ${kmsEntries.length} KMS entries, chains intact, every outcome preceded by its attempt` };
}

function scrubbed(input: InvariantInputs): InvariantVerdict {
  const dirty = input.releasedFrames.filter((frame) => input.host.memory.isTouched(frame));
  return {
    held: dirty.length === 0,
    detail:
      dirty.length === 0
        ? `${input.releasedFrames.length} released enclave pages all zero`
        : `${dirty.length} released enclave pages still hold data`,
  };
}
