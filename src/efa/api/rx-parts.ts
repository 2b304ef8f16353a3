// The receiver's shared shapes and its reporting: CQ entries for receives, error and unsolicited completions, and
// the RESP that tells a sender what became of its message.
import { nameKey, type EndpointName } from './address.ts';
import { BLANK, type EpCore } from './core.ts';
import { FI_ADDR_UNSPEC, FI_MSG, FI_RECV, FI_REMOTE_CQ_DATA, FI_TAGGED, type CqEntry } from './types.ts';
import { PktFlag, PktType, RESP_CODES, type RespCode } from './wire.ts';

export interface RxOp {
  readonly id: number;
  readonly buf: Uint8Array;
  /** Directed receive: only from this peer. */
  readonly from: EndpointName | undefined;
  readonly tagged: boolean;
  readonly tag: bigint;
  readonly ignore: bigint;
  readonly context: unknown;
}

/** One message on its way up: staged (medium segments), matched in order, then copied or granted. */
export interface Incoming {
  readonly from: EndpointName;
  readonly long: boolean;
  readonly flags: number;
  readonly tag: bigint;
  readonly data: number;
  readonly msgId: number;
  readonly opId: number;
  readonly totalLen: number;
  readonly bytes: Uint8Array | null;
  received: number;
  /** Long-read: the sender's region key to read the message from (0: long-CTS or not long). */
  readonly readKey: number;
  /** The sender was already told OK (the message sat in the unexpected buffer). */
  answered: boolean;
  /** Segment offsets seen (medium): a duplicated segment must not count twice. */
  readonly offsets: Set<number>;
}

export interface LongRecv {
  readonly msg: Incoming;
  readonly recv: RxOp;
  received: number;
  grantedEnd: number;
  /** Offsets seen (at most message / segment size): a duplicated packet must not count twice. */
  readonly offsets: Set<number>;
}

export function rxEntry(core: EpCore, recv: RxOp, msg: Incoming | null, len: number): CqEntry {
  const hasData = msg !== null && (msg.flags & PktFlag.CQ_DATA) !== 0;
  return {
    op_context: recv.context,
    flags: FI_RECV | (recv.tagged ? FI_TAGGED : FI_MSG) | (hasData ? FI_REMOTE_CQ_DATA : 0),
    len,
    buf: recv.buf,
    data: hasData ? msg.data : 0,
    tag: msg?.tag ?? recv.tag,
    src: msg === null ? FI_ADDR_UNSPEC : core.av.reverse(msg.from),
    atPs: core.now(),
  };
}

export function rxError(core: EpCore, recv: RxOp, msg: Incoming | null, err: string, message: string, olen: number): void {
  core.count(`rxErr.${err}`);
  const len = msg === null ? 0 : Math.min(recv.buf.length, msg.totalLen);
  core.cq.pushError({ ...rxEntry(core, recv, msg, len), err, message, olen }, 'rx');
}

/** An error that belongs to no posted receive (the message never reached one). */
export function rxUnsolicited(core: EpCore, from: EndpointName, err: string, message: string): void {
  core.cq.pushError({
    op_context: undefined, flags: FI_RECV, len: 0, buf: null, data: 0, tag: 0n,
    src: core.av.reverse(from), atPs: core.now(), err, message, olen: 0,
  }, 'none');
}

/** RESP about a message; `ordered` (efa) frees the msg_id's slot in the sender's window. */
export function respond(
  core: EpCore, to: EndpointName, about: { readonly msgId: number; readonly opId: number }, code: RespCode, ordered = true,
): void {
  const flags = core.mode === 'efa' && ordered ? PktFlag.ORDERED : 0;
  core.send(to, {
    ...BLANK, type: PktType.RESP, flags, msgId: about.msgId, opId: about.opId, code: RESP_CODES.indexOf(code),
  });
}

export function matches(recv: RxOp, msg: Incoming): boolean {
  if (recv.tagged !== ((msg.flags & PktFlag.TAGGED) !== 0)) return false;
  if (recv.from !== undefined && nameKey(recv.from) !== nameKey(msg.from)) return false;
  if (!recv.tagged) return true;
  const care = ~recv.ignore & 0xffff_ffff_ffff_ffffn;
  return (recv.tag & care) === (msg.tag & care);
}
