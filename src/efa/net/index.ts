// The fabric (topology, links, switches, ECMP, faults) on the fast event kernel (src/sim/des.ts).
import type { Fabric, FabricConfig } from '../contracts.ts';
import { buildFabric, type NetFabric } from './fabric.ts';

export type { NetFabric, NetFabricStats, LinkStats } from './fabric.ts';
export { ecmpHash } from './hash.ts';
export { FabricRandom } from './random.ts';

/** research/efa-srd.md §5.2: 100 Gb/s, 0.5 µs propagation, 0.6 µs switch, 1.5 µs NIC each way, 512 KiB buffers, 8 KiB MTU. */
export const DEFAULT_FABRIC_CONFIG: FabricConfig = {
  topology: { kind: 'leaf-spine', leaves: 2, spines: 8, hostsPerLeaf: 8 },
  linkGbps: 100,
  propagationPs: 500_000,
  switchLatencyPs: 600_000,
  nicLatencyPs: 1_500_000,
  bufferBytes: 512 * 1024,
  mtuPayloadBytes: 8192,
  headerBytes: 96,
  ackBytes: 64,
  seed: 1,
};

/**
 * Builds a fabric. The returned object is a `NetFabric` (the contract plus closure-free event posting and per-link
 * counters); `isNetFabric` tells a transport whether it may use the fast path.
 */
export function createFabric(config: FabricConfig): NetFabric {
  return buildFabric(config);
}

export function isNetFabric(fabric: Fabric): fabric is NetFabric {
  return typeof (fabric as Partial<NetFabric>).registerHandler === 'function' && typeof (fabric as Partial<NetFabric>).post === 'function';
}
