// CONTRACT STUB: SRD in the NIC (research/efa-srd.md §5.3–5.4).
import type { Fabric, HostId, PacketProtector, Transport } from '../contracts.ts';

export interface SrdOptions {
  /** Entropy values (paths) per context: 16–64 (default 32); 1 = the P=1 ablation (no spraying). */
  readonly entropyValues?: number;
  /** Ablations: congestion control off, reroute-on-retransmit off, per-path gap detector off. */
  readonly congestionControl?: boolean;
  readonly rerouteOnRetransmit?: boolean;
  readonly pathGapDetector?: boolean;
  /** Wire protection (src/efa/secure); absent: plaintext packets. */
  readonly protector?: PacketProtector;
}

export function createSrdTransport(_fabric: Fabric, _host: HostId, _options?: SrdOptions): Transport {
  throw new Error('not implemented');
}
