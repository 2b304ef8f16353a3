import type { AuditEntry } from '../../sim/index.ts';
import type { CheckVerdict } from '../define.ts';
import type { CheckInput } from './input.ts';

/** Every outcome entry must follow an open attempt by the same actor for the same action. */
function unmatchedOutcome(entries: readonly AuditEntry[]): AuditEntry | undefined {
  const open = new Map<string, number>();
  for (const entry of entries) {
    const key = `${entry.actor}|${entry.action}`;
    if (entry.outcome === 'attempt') open.set(key, (open.get(key) ?? 0) + 1);
    else {
      const pending = open.get(key) ?? 0;
      if (pending === 0) return entry;
      open.set(key, pending - 1);
    }
  }
  return undefined;
}

/**
 * Effects that must each have an audit entry: every effect in the host's journal points to the
 * `attempt` entry written before it; and, visible in the host's state, every instance was created,
 * every running enclave launched, every released enclave terminated with an `ok` entry.
 */
/** The shape of the host's effects journal (ground truth of what the operator API did), where the host keeps one. */
interface JournalledEffect {
  readonly actor: string;
  readonly action: string;
  /** Hash of the `attempt` entry written before the effect; null when the host acted without one. */
  readonly auditHash: string | null;
}

function unauditedEffects(input: CheckInput): string[] {
  const { host } = input.world;
  const journal = (host as unknown as { readonly effects?: readonly JournalledEffect[] }).effects;
  const attempts = new Map(host.audit.entries.filter((e) => e.outcome === 'attempt').map((e) => [e.hash, e]));
  const ok = (action: string, key: string, value: string) =>
    host.audit.entries.some((e) => e.outcome === 'ok' && e.action === action && e.details[key] === value);
  const missing: string[] = [];
  for (const effect of journal ?? []) {
    const entry = effect.auditHash === null ? undefined : attempts.get(effect.auditHash);
    // An effect whose entry is gone from a chain that still verifies means the log was rewritten.
    if (entry === undefined || entry.action !== effect.action || entry.actor !== effect.actor) missing.push(`${effect.action} by ${effect.actor}`);
  }
  for (const instance of host.instances) if (!ok('instance.create', 'instanceId', instance.instanceId)) missing.push(`instance ${instance.instanceId} exists`);
  for (const enclave of host.enclaves) if (!ok('enclave.launch', 'enclaveId', enclave.enclaveId)) missing.push(`enclave ${enclave.enclaveId} runs`);
  for (const released of host.releasedEnclaves) {
    if (!ok('enclave.terminate', 'enclaveId', released.enclaveId)) missing.push(`enclave ${released.enclaveId} was terminated`);
  }
  return missing;
}

/** INV-AUDIT: both hash chains verify, every outcome follows its attempt, every visible effect is audited. */
export function checkAudit(input: CheckInput): CheckVerdict[] {
  const { host, kms } = input.world;
  const verdict = (held: boolean, detail: string): CheckVerdict[] => [{ invariant: 'INV-AUDIT', held, detail }];
  const hostBroken = host.audit.verify();
  if (hostBroken !== -1) return verdict(false, `host audit chain broken at entry ${hostBroken}`);
  const kmsBroken = kms.audit.verify();
  if (kmsBroken !== -1) return verdict(false, `KMS audit chain broken at entry ${kmsBroken}`);
  for (const [log, entries] of [['host', host.audit.entries], ['KMS', kms.audit.entries]] as const) {
    const orphan = unmatchedOutcome(entries);
    if (orphan !== undefined) return verdict(false, `${log} audit: ${orphan.action} by ${orphan.actor} took effect with no prior audit entry`);
  }
  const missing = unauditedEffects(input);
  if (missing.length > 0) return verdict(false, `unaudited effects: ${missing.slice(0, 5).join('; ')}`);
  return verdict(
    true,
    `${host.audit.entries.length} host and ${kms.audit.entries.length} KMS entries, chains intact, every outcome preceded by its attempt, every journalled effect, instance and enclave audited`,
  );
}
