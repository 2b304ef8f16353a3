// libfabric-shaped names and constants for the emulated EFA endpoint API (research/efa-srd.md §2). Flag values
// follow libfabric's fabric.h so a reader who knows libfabric recognises them in traces.
import type { HostId } from '../contracts.ts';

export const FI_MSG = 1 << 1;
export const FI_RMA = 1 << 2;
export const FI_TAGGED = 1 << 3;
export const FI_READ = 1 << 8;
export const FI_WRITE = 1 << 9;
export const FI_RECV = 1 << 10;
export const FI_SEND = 1 << 11;
export const FI_REMOTE_READ = 1 << 12;
export const FI_REMOTE_WRITE = 1 << 13;
export const FI_REMOTE_CQ_DATA = 1 << 17;

/** Return values of the post calls: 0 or -FI_EAGAIN (resources short: retry after reading the CQ). */
export const FI_SUCCESS = 0;
export const FI_EAGAIN = -11;
export type PostResult = typeof FI_SUCCESS | typeof FI_EAGAIN;

/** An index into an endpoint's address vector (FI_AV_TABLE). */
export type FiAddr = number;
/** libfabric's (fi_addr_t)-1: "any source" in a receive, "not in my AV" in a completion. */
export const FI_ADDR_UNSPEC: FiAddr = -1;

export type EndpointMode = 'efa' | 'efa-direct';

/** FI_EFA_RECVWIN_SIZE default (EFA_RDM_PEER_DEFAULT_REORDER_BUFFER_SIZE). */
export const EFA_RECVWIN_SIZE = 16;
/** FI_EFA_INTER_MAX_MEDIUM_MESSAGE_SIZE: above this the efa protocol switches from medium to long-CTS. */
export const EFA_MEDIUM_MSG_SIZE_MAX = 65536;
/** FI_EFA_INTER_MIN_READ_MESSAGE_SIZE: from here the efa protocol uses long-read (the receiver RDMA-reads). */
export const EFA_READ_MSG_SIZE_MIN = 1048576;

/** Stable codes of error completions (`CqErrEntry.err`) and of typed post-time errors. */
export const EfaErr = {
  /** No receive posted (and, on 'efa', the unexpected-message buffer full): the receiver dropped the message. */
  RNR: 'RNR',
  MSG_TOO_LARGE: 'MSG_TOO_LARGE',
  /** The receive buffer was shorter than the message: the rest was discarded (FI_ETRUNC). */
  TRUNCATED: 'TRUNCATED',
  /** A message arrived more than the reorder window ahead of the next expected msg_id. */
  RECV_WINDOW_OVERFLOW: 'RECV_WINDOW_OVERFLOW',
  /** The destination endpoint does not exist (closed, or the address names an older endpoint). */
  BAD_QP: 'BAD_QP',
  REMOTE_UNRESPONSIVE: 'REMOTE_UNRESPONSIVE',
  CANCELED: 'CANCELED',
  RMA_KEY_INVALID: 'RMA_KEY_INVALID',
  RMA_OUT_OF_BOUNDS: 'RMA_OUT_OF_BOUNDS',
  RMA_ACCESS_DENIED: 'RMA_ACCESS_DENIED',
  /** efa-direct RMA target: the initiator is not in the target's address vector. */
  RMA_PEER_UNKNOWN: 'RMA_PEER_UNKNOWN',
  /** An efa endpoint talked to an efa-direct one (or the reverse): the two wire protocols do not mix. */
  PROTOCOL_MISMATCH: 'PROTOCOL_MISMATCH',
  MALFORMED_PACKET: 'MALFORMED_PACKET',
} as const;
export type EfaErrCode = (typeof EfaErr)[keyof typeof EfaErr];

/** fi_cq_entry with FI_CQ_FORMAT_TAGGED fields (context, flags, len, buf, data, tag). */
export interface CqEntry {
  readonly op_context: unknown;
  readonly flags: number;
  readonly len: number;
  readonly buf: Uint8Array | null;
  /** Remote CQ data (4 bytes on EFA), valid when flags has FI_REMOTE_CQ_DATA. */
  readonly data: number;
  readonly tag: bigint;
  /** fi_cq_readfrom's source: the sender's FiAddr in this endpoint's AV, or FI_ADDR_UNSPEC (receives only). */
  readonly src: FiAddr;
  /** Virtual time the completion was written. */
  readonly atPs: number;
}

/** fi_cq_err_entry: `err` is a stable code (EfaErr), `olen` the bytes that did not fit (TRUNCATED). */
export interface CqErrEntry extends CqEntry {
  readonly err: string;
  readonly message: string;
  readonly olen: number;
}

export interface EndpointOptions {
  readonly host: HostId;
  readonly mode: EndpointMode;
  /** Operations (sends, writes, reads) posted and not yet read from the CQ; more → FI_EAGAIN. Default 256. */
  readonly txSize?: number;
  /** Receives posted and not yet read from the CQ; more → FI_EAGAIN. Default 256. */
  readonly rxSize?: number;
  /** efa only: messages kept when no receive matches yet; beyond → RNR. Default 64 (efa-direct: always 0). */
  readonly unexpectedMsgsMax?: number;
  /** efa only: FI_EFA_RECVWIN_SIZE. Default 16. */
  readonly recvWindowSize?: number;
  /**
   * efa only: the sender keeps at most recvWindowSize messages per peer unanswered so that a healthy receiver never
   * sees one outside its window. `false` turns that off (tests of the window error only).
   */
  readonly senderWindowLimit?: boolean;
  /** A response (or read data) not arriving within this after the last progress fails the op. Default 100 ms. */
  readonly responseTimeoutPs?: number;
  /** Long-CTS: bytes granted per CTS. Default 256 KiB. */
  readonly ctsWindowBytes?: number;
  /** Largest message on 'efa' (no real limit there; bounded here). Default 64 MiB. */
  readonly msgSizeMax?: number;
  /** Largest RDMA read/write. Default 64 MiB (the device allows ~1 GiB). */
  readonly rmaSizeMax?: number;
  /** First msg_id used towards each peer (tests of 32-bit wrap-around). Default 0. */
  readonly initialMsgId?: number;
}

export const ENDPOINT_DEFAULTS = {
  txSize: 256,
  rxSize: 256,
  unexpectedMsgsMax: 64,
  recvWindowSize: EFA_RECVWIN_SIZE,
  responseTimeoutPs: 100_000_000_000,
  ctsWindowBytes: 256 * 1024,
  msgSizeMax: 64 * 1024 * 1024,
  rmaSizeMax: 64 * 1024 * 1024,
} as const;

/** Upper bounds on the options themselves (every size is bounded). */
export const ENDPOINT_LIMITS = {
  queueSizeMax: 65536,
  recvWindowSizeMax: 4096,
  sizeMax: 1 << 30,
} as const;
