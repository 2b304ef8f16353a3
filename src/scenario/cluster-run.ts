// The runner's side of a cluster scenario: building the cluster for one run, and running the global checkers over
// every member's world. Each host keeps its own World (its own ledger, canaries, host, KMS, audit logs), so the
// checkers run once per member world and their verdicts are merged per invariant: an invariant holds only if it
// holds on every host. The scenario's records (links, deliveries, fail-closed) belong to the run, not to a host:
// they are checked once, with rank 0's world.
import type { NitroCluster } from '../cluster/index.ts';
import { sha256Hex, utf8 } from '../crypto/index.ts';
import type { World } from '../world/index.ts';
import { CHECKERS, emptyRecords, runCheckers, type ScenarioRecords } from './checkers/index.ts';
import type { CheckVerdict } from './define.ts';
import type { Observation, PrincipalSummary } from './ledger.ts';

/** A cluster run's trace digest: every host's simulator and the fabric's, so a change anywhere shows. */
export function clusterDigest(cluster: NitroCluster): string {
  const parts = [...cluster.members.map((m) => m.world.sim.digest()), cluster.fabric.digest()];
  return sha256Hex(utf8(parts.join('|')));
}

/** Invariants about what the scenario filed: checked once per run, not once per host. */
const RECORD_INVARIANTS = new Set<string>(['INV-LINK', 'INV-DELIVERY', 'INV-FAIL-CLOSED']);

/** The global checkers over every world of the run, merged to one verdict per invariant. */
export function runClusterCheckers(worlds: readonly World[], records: ScenarioRecords): { verdicts: CheckVerdict[]; failed: string[] } {
  if (worlds.length === 1) return runCheckers({ world: worlds[0]!, records });
  const perHost = worlds.map((world, rank) => ({ rank, ...runCheckers({ world, records: rank === 0 ? records : emptyRecords() }) }));
  const verdicts: CheckVerdict[] = [];
  const failed = new Set<string>();
  for (const { invariant } of CHECKERS) {
    const hosts = RECORD_INVARIANTS.has(invariant) ? perHost.slice(0, 1) : perHost;
    const mine = hosts.map((h) => ({ rank: h.rank, verdicts: h.verdicts.filter((v) => v.invariant === invariant), failed: h.failed.includes(invariant) }));
    for (const h of mine) if (h.failed) failed.add(invariant);
    const broken = mine.flatMap((h) => h.verdicts.filter((v) => !v.held).map((v) => `host ${h.rank}: ${v.detail}`));
    if (broken.length > 0) verdicts.push({ invariant, held: false, detail: broken.join('; ') });
    else if (hosts.length === 1) verdicts.push(...(mine[0]?.verdicts ?? []));
    else verdicts.push({ invariant, held: true, detail: `on each of ${hosts.length} hosts: ${mine[0]?.verdicts[0]?.detail ?? 'held'}` });
  }
  return { verdicts, failed: [...failed] };
}

/**
 * The cluster files what the network sees in every host's ledger (one fabric, so each world's checkers see it); a
 * report counts it once, from rank 0's world. Everything else a host's ledger holds is that host's own.
 */
function counted(rank: number, principal: string): boolean {
  return rank === 0 || principal !== 'network';
}

/** Every world's observations for a report, the shared network's once. */
export function mergedObservations(worlds: readonly World[]): Observation[] {
  return worlds.flatMap((world, rank) => world.ledger.observations.filter((o) => counted(rank, o.principal)));
}

/** Every world's ledger summary, merged per principal (a cluster run reports one ledger). */
export function mergedLedgerSummary(worlds: readonly World[]): Record<string, PrincipalSummary> {
  if (worlds.length === 1) return worlds[0]!.ledger.summary();
  const out: Record<string, PrincipalSummary> = {};
  for (const [rank, world] of worlds.entries()) {
    for (const [principal, s] of Object.entries(world.ledger.summary())) {
      if (!counted(rank, principal)) continue;
      const prior = out[principal];
      out[principal] =
        prior === undefined
          ? s
          : {
              observations: prior.observations + s.observations,
              bytes: prior.bytes + s.bytes,
              channels: [...new Set([...prior.channels, ...s.channels])].sort(),
              canariesSeen: [...new Set([...prior.canariesSeen, ...s.canariesSeen])].sort(),
            };
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
