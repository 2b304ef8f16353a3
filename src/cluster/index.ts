// A multi-host world: hosts with enclaves and attested accelerators joined by an encrypted EFA fabric.
//
// createCluster({ seed, hosts }) → launch() → computeLocal() → formMesh() → allReduce(inputs), or run() for all four
// with narration. Each host is a World (its own hypervisor, KMS, enclave, NSM and devices) under one Nitro root; the
// enclaves' link agents attest each other over the fabric with their own NSM documents, and the NICs seal every
// packet with the keys of those handshakes. See docs/cluster.md.
export type * from './types.ts';
export { CLUSTER_HOSTS_MIN, CLUSTER_HOSTS_MAX } from './types.ts';
export { createCluster, type NitroCluster } from './cluster.ts';
export {
  CLUSTER_DEVICES_MAX,
  JOB_ID_BYTES_MAX,
  hostSeedOf,
  linkDefencesOf,
  placeRanks,
  type ClusterLinkOptions,
  type ClusterOptionsExtra,
  type Placement,
  type ResolvedClusterOptions,
} from './options.ts';
export type { HostState } from './hosts.ts';
export type { NitroClusterReport, RankSummary, FabricSighting } from './run.ts';
export { ALLREDUCE_ELEMENTS_MAX, tensorBytes } from './allreduce.ts';
export { HANDSHAKE_MESSAGE_BYTES_MAX } from './carrier.ts';
export { HANDSHAKE_FRAME_TAG, isHandshakeFrame } from './nics.ts';
export { HANDSHAKE_REWRITERS_MAX, type HandshakeRewriter, type HandshakeStep } from './network.ts';
