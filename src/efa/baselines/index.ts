// The experiments' baselines (research/efa-srd.md §5.5): a single-path TCP-like transport and a go-back-N
// RoCE-like one, both implementing the fabric's Transport contract.
import type { Fabric, HostId, PacketProtector, Transport } from '../contracts.ts';
import { PS_PER_MS } from '../contracts.ts';
import { assert } from '../../errors.ts';
import { createGbn } from './gbn.ts';
import { createTcpLike } from './tcp-like.ts';

export { GBN_TIMEOUT_PS, GBN_WINDOW_PACKETS } from './gbn.ts';
export { MESSAGE_BYTES_MAX } from './stream.ts';

/** Linux's default RTO_min and the tuned data-centre value. */
export const TCP_RTO_MIN_DEFAULT_PS = 200 * PS_PER_MS;
export const TCP_RTO_MIN_TUNED_PS = 1 * PS_PER_MS;

export interface TcpLikeOptions {
  /** 200 ms (Linux default, kind 'tcp') or 1 ms (tuned DC TCP, kind 'tcp-1ms'). */
  readonly rtoMinPs: number;
  readonly protector?: PacketProtector;
}

/** A baseline transport that also tells which entropy (hence which path) its connection to `dst` uses. */
export type SinglePathTransport = Transport & { entropyTo(dst: HostId): number };

/** Single path (one ECMP entropy per flow), in-order delivery, Reno/DCTCP-like cwnd, 3-dupack fast retransmit. */
export function createTcpLikeTransport(fabric: Fabric, host: HostId, options: TcpLikeOptions): SinglePathTransport {
  assert(Number.isSafeInteger(options.rtoMinPs) && options.rtoMinPs > 0, 'rtoMinPs must be a positive integer');
  return createTcpLike(fabric, host, options.rtoMinPs, options.protector);
}

/** RoCE-like: single path, go-back-N, lossy (no PFC). */
export function createGbnTransport(fabric: Fabric, host: HostId, options?: { readonly protector?: PacketProtector }): SinglePathTransport {
  return createGbn(fabric, host, options?.protector);
}
