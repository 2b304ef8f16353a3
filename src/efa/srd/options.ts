import type { DeliveredSegment, PacketProtector } from '../contracts.ts';

/** What the receiving endpoint says about an arriving segment: deliver it, or drop it with an ACK code. */
export type SrdAdmission = 'OK' | 'RNR' | 'BAD_QP';

export interface SrdOptions {
  /** Entropy values (paths) per context: 16–64 (default 32); 1 = the P=1 ablation (no spraying). */
  readonly entropyValues?: number;
  /** Ablations: congestion control off, reroute-on-retransmit off, per-path gap detector off. */
  readonly congestionControl?: boolean;
  readonly rerouteOnRetransmit?: boolean;
  readonly pathGapDetector?: boolean;
  /** Wire protection (src/efa/secure); absent: plaintext packets. */
  readonly protector?: PacketProtector;
  /**
   * Receive admission (the endpoint layer's posted receives and QPs). Consulted once per new PSN; 'RNR' or
   * 'BAD_QP' drops the packet and ACKs it with that code, and the sender completes the work request with that error
   * (no retry; SRD.txt). Absent: every segment is accepted.
   */
  readonly admit?: (segment: DeliveredSegment) => SrdAdmission;
}
