// What the endpoint's sender, receiver and RMA parts share: its identity, queues, resolved limits, counters and a
// way to put one packet on the wire. Not exported from the folder.
import type { HostId, Ps } from '../contracts.ts';
import type { AddressVector, EndpointName } from './address.ts';
import type { CompletionQueue } from './cq.ts';
import type { MrRegistry } from './mr.ts';
import type { EndpointMode } from './types.ts';
import type { WireFields } from './wire.ts';

export interface ResolvedLimits {
  readonly txSize: number;
  readonly rxSize: number;
  readonly unexpectedMsgsMax: number;
  readonly recvWindowSize: number;
  readonly senderWindowLimit: boolean;
  readonly responseTimeoutPs: Ps;
  readonly ctsWindowBytes: number;
  readonly msgSizeMax: number;
  readonly rmaSizeMax: number;
  readonly initialMsgId: number;
  /** Largest data bytes in one packet (MTU − our header; efa-direct: the whole MTU, see endpoint.ts). */
  readonly segmentBytesMax: number;
  readonly eagerBytesMax: number;
}

/** Outcome of one packet at the transport: ok, or the transport's code (REMOTE_UNRESPONSIVE…). */
export type PacketDone = (ok: boolean, code: string | undefined) => void;

/** Fields the core fills in itself (our qpn/connid, the peer's qpn/connid). */
export type OutFields = Omit<WireFields, 'srcQpn' | 'srcConnId' | 'dstQpn' | 'dstConnId'>;

export interface EpCore {
  readonly host: HostId;
  readonly qpn: number;
  readonly connid: number;
  readonly mode: EndpointMode;
  readonly limits: ResolvedLimits;
  readonly cq: CompletionQueue;
  readonly av: AddressVector;
  readonly mr: MrRegistry;
  now(): Ps;
  /** Runs `fn` at `atPs` on the fabric; returns a cancel function. */
  schedule(atPs: Ps, fn: () => void): () => void;
  send(dst: EndpointName, fields: OutFields, done?: PacketDone): void;
  count(counter: string, by?: number): void;
  /** An RDMA read issued by the provider itself (long-read): no CQ entry, no tx credit; `done` reports it. */
  readInternal(peer: EndpointName, buf: Uint8Array, key: number, done: PacketDone): void;
}

/** Zero-valued fields, so packet builders name only what they set. */
export const BLANK: OutFields = {
  type: 4,
  flags: 0,
  msgId: 0,
  opId: 0,
  tag: 0n,
  data: 0,
  totalLen: 0,
  segOffset: 0,
  rkey: 0,
  rOffset: 0,
  code: 0,
};
