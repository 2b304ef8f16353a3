// The whole multi-host flow with narration (who did what, who could read what crossed), and its report.
import { sha256Hex } from '../crypto/index.ts';
import { findLeaks } from '../scenario/index.ts';
import { tensorBytes } from './allreduce.ts';
import type { NitroCluster } from './cluster.ts';
import type { HostState } from './hosts.ts';
import type { AllReduceOutcome, ClusterReport, MeshOutcome } from './types.ts';

export interface RankSummary {
  readonly rank: number;
  readonly host: number;
  readonly image: 'approved' | 'foreign';
  readonly debugMode: boolean;
  readonly pcr0: string;
  /** The enclave got its key from its host's KMS (a debug-mode or foreign-policy enclave may not). */
  readonly ready: boolean;
  readonly failure?: string;
}

/** What each principal outside the TCB obtained from the fabric, per host's world. */
export interface FabricSighting {
  readonly rank: number;
  readonly parentFrames: number;
  readonly parentBytes: number;
  readonly networkFrames: number;
}

export interface NitroClusterReport extends ClusterReport {
  readonly seed: number;
  readonly ranks: readonly RankSummary[];
  readonly local: { readonly source: string; readonly samplesPerRank: number; readonly elements: number } | null;
  readonly seen: readonly FabricSighting[];
  /** The fabric's trace digest (every packet delivered or dropped): same seed, same digest. */
  readonly fabricDigest: string;
}

export function rankSummary(h: HostState): RankSummary {
  return {
    rank: h.rank,
    host: h.host,
    image: h.foreign ? 'foreign' : 'approved',
    debugMode: h.debugMode,
    pcr0: h.enclave?.pcrs[0] ?? '',
    ready: h.ready,
    ...(h.failure === undefined ? {} : { failure: h.failure }),
  };
}

/** Every canary any non-TCB principal of any host's world obtained, one line per (canary, principal, channel). */
export function leakLines(hosts: readonly HostState[]): string[] {
  const lines = new Set<string>();
  for (const h of hosts) {
    for (const leak of findLeaks(h.world.ledger)) lines.add(`${leak.canary} → ${leak.principal} via ${leak.channel} [${leak.encoding}]`);
  }
  return [...lines].sort();
}

function sightings(hosts: readonly HostState[]): FabricSighting[] {
  return hosts.map((h) => {
    const parent = h.world.ledger.of('parent-admin').filter((o) => o.channel.startsWith('efa '));
    return {
      rank: h.rank,
      parentFrames: parent.length,
      parentBytes: parent.reduce((sum, o) => sum + o.size, 0),
      networkFrames: h.world.ledger.of('network').length,
    };
  });
}

export function buildReport(cluster: NitroCluster, allReduce: AllReduceOutcome): NitroClusterReport {
  const { hosts, local } = cluster;
  const first = allReduce.outputs[0];
  return {
    hosts: hosts.length,
    jobId: cluster.jobId,
    mesh: cluster.mesh ?? { ok: false, links: [] },
    inputSha256: local === undefined ? [] : local.tensors.map((t) => sha256Hex(tensorBytes(t))),
    allReduce,
    outputSha256: first === undefined ? '' : sha256Hex(tensorBytes(first)),
    leaks: leakLines(hosts),
    seed: cluster.resolved.seed,
    ranks: hosts.map(rankSummary),
    local: local === undefined ? null : { source: local.source, samplesPerRank: local.samplesPerRank, elements: local.tensors[0]?.length ?? 0 },
    seen: sightings(hosts),
    fabricDigest: cluster.fabric.digest(),
  };
}

function describeMesh(mesh: MeshOutcome): string {
  return mesh.links
    .map((l) => `${l.a}↔${l.b} ${l.ok ? `${l.suite}${l.encrypted ? '' : ' (NOT encrypting)'}` : `REFUSED ${l.code}`}`)
    .join('; ');
}

export async function runNarrated(cluster: NitroCluster, say: (title: string, detail: string) => void): Promise<NitroClusterReport> {
  const { hosts } = cluster;
  await cluster.launch();
  say(
    `${hosts.length} hosts launch their enclaves`,
    hosts
      .map((h) => {
        const r = rankSummary(h);
        const what = `${r.image === 'foreign' ? "a co-tenant's image (approved by its own owner)" : 'the approved image'}${r.debugMode ? ' in DEBUG mode' : ''}, PCR0 ${r.pcr0.slice(0, 16)}…`;
        const devices = cluster.resolved.accelerators.count > 0 ? ', devices attested' : '';
        return `rank ${r.rank} on host h${r.host}: ${what}, ${r.ready ? `key released by its KMS${devices}` : `holds no model (${r.failure ?? 'not ready'})`}`;
      })
      .join('; ') + '. Every NSM chains to the same Nitro root.',
  );
  const inputs = await cluster.computeLocal();
  const local = cluster.local!;
  const devices = cluster.resolved.accelerators;
  say(
    'Each enclave computes its local tensor',
    `${local.samplesPerRank} attested inference(s) per rank on its own prompt${
      local.source === 'device-tokens' ? ` on its ${devices.count} attested ${devices.flavour === 'gpu' ? 'GPU' : 'Trainium'} device(s) (generated token ids / 255)` : ' on its CPU (the MLP\'s probability vector)'
    }: ${inputs[0]!.length} float32 values per rank, each rank's own chunk planted as a canary; the client's prompt and the output crossed the parent sealed${
      hosts.some((h) => !h.ready || h.foreign) ? `; ranks ${hosts.filter((h) => !h.ready || h.foreign).map((h) => h.rank).join(', ')} contribute zeros (no model of the job's)` : ''
    }`,
  );
  const mesh = cluster.formMesh();
  say(
    'The enclaves attest each other over the fabric',
    `${describeMesh(mesh)}. Each hello carried its enclave's own NSM document over its ephemeral P-384 key; the parents and the network saw the hellos (public) and never the link keys`,
  );
  const allReduce = cluster.allReduce(inputs);
  const stats = allReduce.linkStats;
  const sealing = cluster.resolved.worldDefences.linkEncryption;
  say(
    sealing ? 'Ring all-reduce over SRD, every packet sealed (AES-256-GCM)' : 'Ring all-reduce over SRD IN THE CLEAR (linkEncryption off)',
    allReduce.errors.length > 0
      ? `did not complete: ${allReduce.errors.map((e) => `rank ${e.rank} ${e.code}`).join(', ')}`
      : `${stats['sealed'] ?? 0} packets sealed, ${stats['opened'] ?? 0} opened, ${stats['rejected'] ?? 0} rejected in ${(allReduce.durationPs / 1e6).toFixed(3)} µs of fabric time; every rank's result ${allReduce.bitExact ? 'equals' : 'DIFFERS from'} the single-host reference bit for bit`,
  );
  const report = buildReport(cluster, allReduce);
  say(
    'Who saw what on the fabric',
    `${report.seen.map((s) => `parent of rank ${s.rank}: ${s.parentFrames} frames (${s.parentBytes} bytes)`).join('; ')}; network: ${report.seen[0]?.networkFrames ?? 0} frames on its taps. ${
      sealing ? 'They carried the public hellos and ciphertext.' : 'They carried the tensors in plaintext.'
    } ${report.leaks.length === 0 ? 'No canary in any of it.' : `LEAKS: ${report.leaks.length} canary sighting(s)`}`,
  );
  return report;
}
