// CONTRACT STUB: the experiments' baselines (research/efa-srd.md §5.5).
import type { Fabric, HostId, PacketProtector, Transport } from '../contracts.ts';

export interface TcpLikeOptions {
  /** 200 ms (Linux default, kind 'tcp') or 1 ms (tuned DC TCP, kind 'tcp-1ms'). */
  readonly rtoMinPs: number;
  readonly protector?: PacketProtector;
}

/** Single path (one ECMP entropy per flow), in-order delivery, Reno/DCTCP-like cwnd, 3-dupack fast retransmit. */
export function createTcpLikeTransport(_fabric: Fabric, _host: HostId, _options: TcpLikeOptions): Transport {
  throw new Error('not implemented');
}

/** RoCE-like: single path, go-back-N, lossy (no PFC). */
export function createGbnTransport(_fabric: Fabric, _host: HostId, _options?: { readonly protector?: PacketProtector }): Transport {
  throw new Error('not implemented');
}
