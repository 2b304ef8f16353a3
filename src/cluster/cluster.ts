// createCluster: N hosts (a World each, one Nitro root), one fabric with SRD NICs and secure-link protectors, the
// network attacker's handle, and the flow launch → computeLocal → formMesh → allReduce.
import type { NsmClient } from '../enclave/index.ts';
import type { Domain, NetFabric, SecureLinkProtector } from '../efa/index.ts';
import { EmuError } from '../errors.ts';
import { agentEndpoint, nsmOf, type JobTrust } from './agent.ts';
import { runClusterAllReduce } from './allreduce.ts';
import { createCarrier, type HandshakeCarrier } from './carrier.ts';
import { HostState, alignClocks, approvedPcr0Of, createHosts, launchHost } from './hosts.ts';
import { computeLocalTensors, plantTensorCanaries, type LocalResult } from './local.ts';
import { formAttestedMesh } from './mesh.ts';
import { createNetwork } from './network.ts';
import { buildNics, type ClusterNics } from './nics.ts';
import { watchParents } from './observe.ts';
import { linkDefencesOf, resolveOptions, type ClusterOptionsExtra, type ResolvedClusterOptions } from './options.ts';
import { buildReport, runNarrated } from './run.ts';
import type { AllReduceOutcome, Cluster, ClusterReport, MeshOutcome } from './types.ts';

/** The cluster as built here: the contract plus the parts tests, scenarios and the demo look into. */
export interface NitroCluster extends Cluster {
  readonly resolved: ResolvedClusterOptions;
  readonly hosts: readonly HostState[];
  readonly fabric: NetFabric;
  readonly domain: Domain;
  /** Each rank's host NIC protector (its sessions are the mesh's keys). */
  protectorOf(rank: number): SecureLinkProtector;
  /** The last mesh formed (undefined before formMesh). */
  readonly mesh: MeshOutcome | undefined;
  /** The last local tensors computed (undefined before computeLocal). */
  readonly local: LocalResult | undefined;
  /** Counters of the handshake frames on the fabric (sent, taken, stray, malformed, lost). */
  handshakeStats(): Readonly<Record<string, number>>;
  /** Builds the report from what has run so far (run() returns the same). */
  report(allReduce: AllReduceOutcome): ClusterReport;
}

export function createCluster(options: ClusterOptionsExtra): NitroCluster {
  const resolved = resolveOptions(options);
  const nics: ClusterNics = buildNics(resolved);
  const hosts = createHosts(resolved, nics.hostOfRank);
  const modelCrypto = resolved.crypto === 'model';
  watchParents(nics, hosts, modelCrypto);
  const network = createNetwork(nics, hosts, modelCrypto);
  const carrier: HandshakeCarrier = createCarrier(nics, network.rewriters);
  const linkDefences = linkDefencesOf(resolved.worldDefences);
  let launched: 'no' | 'running' | 'yes' = 'no';
  let nsms: NsmClient[] | undefined;
  let mesh: MeshOutcome | undefined;
  let local: LocalResult | undefined;
  let localCalls = 0;
  let collectives = 0;

  const requireLaunched = (what: string): NsmClient[] => {
    if (launched !== 'yes' || nsms === undefined) throw new EmuError('CLUSTER_NOT_LAUNCHED', `${what} needs launch() to have completed first`);
    return nsms;
  };
  const agreedNowMs = (): number => Math.max(...hosts.map((h) => h.world.sim.nowMs));

  const cluster: NitroCluster = {
    options,
    resolved,
    members: hosts,
    hosts,
    jobId: resolved.jobId,
    network: network.handle,
    fabric: nics.fabric,
    domain: nics.domain,
    get mesh() {
      return mesh;
    },
    get local() {
      return local;
    },
    protectorOf(rank) {
      const host = hosts[rank];
      if (host === undefined) throw new EmuError('CLUSTER_BAD_RANK', `no rank ${rank}`, { rank });
      return nics.protectors.get(host.host)!;
    },
    handshakeStats: () => carrier.stats(),

    async launch() {
      if (launched !== 'no') throw new EmuError('CLUSTER_ALREADY_LAUNCHED', 'the cluster is launched once');
      launched = 'running';
      for (const host of hosts) await launchHost(host);
      await alignClocks(hosts);
      nsms = hosts.map((h) => nsmOf(h));
      launched = 'yes';
    },

    async computeLocal() {
      requireLaunched('computeLocal()');
      local = await computeLocalTensors(hosts);
      plantTensorCanaries(hosts, local.tensors, localCalls === 0 ? '' : `-${localCalls}`);
      localCalls++;
      await alignClocks(hosts);
      return local.tensors.map((t) => t.slice());
    },

    formMesh() {
      const clients = requireLaunched('formMesh()');
      const trust: JobTrust = {
        jobId: resolved.jobId,
        hostOfRank: nics.hostOfRank,
        pcr0Allowlist: [approvedPcr0Of(hosts)],
        atMs: agreedNowMs(),
        defences: linkDefences,
      };
      // Fail before any frame moves if a rank has no enclave to speak for it.
      for (const h of hosts) agentEndpoint(h, clients[h.rank]!, trust);
      mesh = formAttestedMesh({ hosts, nsms: clients, protectors: nics.protectors, carrier, trust });
      return mesh;
    },

    allReduce(inputs) {
      if (mesh === undefined) throw new EmuError('CLUSTER_NO_MESH', 'allReduce() needs formMesh() first: the links have no keys');
      return runClusterAllReduce(nics, mesh, inputs, collectives++);
    },

    report(allReduce) {
      return buildReport(cluster, allReduce);
    },

    run(onStep) {
      return runNarrated(cluster, onStep ?? (() => undefined));
    },
  };
  return cluster;
}
