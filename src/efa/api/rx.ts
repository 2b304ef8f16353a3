// The receiver half of an endpoint: posted receives, tag matching, the efa per-peer reorder window (SAS), the
// unexpected-message buffer, long-CTS grants, and efa-direct's unordered device receive. Every message ends in a
// RESP to its sender (accepted, RNR, window error…) so no drop goes untold.
import { nameKey, type EndpointName } from './address.ts';
import { BLANK, type EpCore } from './core.ts';
import { ReorderWindow } from './reorder.ts';
import { EfaErr, FI_ADDR_UNSPEC, FI_MSG, FI_RECV, FI_REMOTE_CQ_DATA, FI_TAGGED, type CqEntry } from './types.ts';
import { PktFlag, PktType, RESP_CODES, type RespCode, type WirePacket } from './wire.ts';

/** Peers with reorder state per endpoint; beyond, messages from new peers are refused (RNR). */
export const RX_PEERS_MAX = 4096;

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
interface Incoming {
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
  /** The sender was already told OK (the message sat in the unexpected buffer). */
  answered: boolean;
  /** Segment offsets seen (medium): a duplicated segment must not count twice. */
  readonly offsets: Set<number>;
}

interface LongRecv {
  readonly msg: Incoming;
  readonly recv: RxOp;
  received: number;
  grantedStart: number;
  grantedEnd: number;
  /** Offsets seen in the current grant: a duplicated packet must not count twice. */
  readonly offsets: Set<number>;
}

export class Receiver {
  readonly #core: EpCore;
  readonly #posted: RxOp[] = [];
  readonly #unexpected: Incoming[] = [];
  readonly #windows = new Map<string, ReorderWindow<Incoming>>();
  readonly #longs = new Map<number, LongRecv>();
  #nextRecvId = 1;

  constructor(core: EpCore) {
    this.#core = core;
  }

  get postedCount(): number {
    return this.#posted.length;
  }

  get unexpectedCount(): number {
    return this.#unexpected.length;
  }

  newRecvId(): number {
    const id = this.#nextRecvId;
    this.#nextRecvId = (this.#nextRecvId % 0xffff_fffe) + 1;
    return id;
  }

  /** A new receive first looks at the unexpected buffer (in arrival order), then waits. */
  post(recv: RxOp): void {
    const index = this.#unexpected.findIndex((msg) => matches(recv, msg));
    if (index < 0) {
      this.#posted.push(recv);
      return;
    }
    const [msg] = this.#unexpected.splice(index, 1);
    this.#consume(msg!, recv);
  }

  cancelAll(): void {
    for (const recv of this.#posted.splice(0)) this.#error(recv, null, EfaErr.CANCELED, 'endpoint closed', 0);
    for (const long of this.#longs.values()) this.#error(long.recv, long.msg, EfaErr.CANCELED, 'endpoint closed', 0);
    this.#longs.clear();
  }

  /** efa RTM packets (EAGER, MEDIUM, LONG_RTS) and SKIP: through the per-peer reorder window. */
  onOrdered(pkt: WirePacket, from: EndpointName): void {
    const window = this.#window(from);
    if (window === undefined) {
      this.#respond(from, pkt, 'RNR');
      return;
    }
    if (pkt.type === PktType.SKIP) {
      this.#core.count('skipsReceived');
      if (!window.skip(pkt.msgId)) this.#core.count('skipSetFull');
      this.#respond(from, pkt, 'SKIPPED');
      this.#drain(window);
      return;
    }
    if (window.isSkipped(pkt.msgId)) {
      this.#core.count('dropSkipped');
      return;
    }
    const place = window.place(pkt.msgId);
    if (place === 'past') {
      this.#core.count('dropStale');
      return;
    }
    if (place === 'beyond') {
      this.#core.count('recvWindowOverflow');
      window.skip(pkt.msgId);
      this.#unsolicited(from, EfaErr.RECV_WINDOW_OVERFLOW,
        `msg_id ${pkt.msgId} is ${window.size} or more ahead of ${window.expected}`);
      this.#respond(from, pkt, 'RECV_WINDOW_OVERFLOW');
      return;
    }
    let msg = window.get(pkt.msgId);
    if (msg === undefined) {
      if (place === 'in-window') this.#core.count('arrivedAhead');
      const long = pkt.type === PktType.LONG_RTS;
      // An eager message is this one packet, whose bytes nobody else holds: keep a view, stage no copy.
      const eager = pkt.type === PktType.EAGER;
      msg = {
        from, long, flags: pkt.flags, tag: pkt.tag, data: pkt.data, msgId: pkt.msgId, opId: pkt.opId,
        totalLen: pkt.totalLen, bytes: long ? null : eager ? pkt.payload : new Uint8Array(pkt.totalLen),
        received: eager ? pkt.totalLen : 0, answered: false, offsets: new Set(eager ? [0] : []),
      };
      if (eager) {
        window.put(pkt.msgId, msg);
        this.#drain(window);
        return;
      }
      window.put(pkt.msgId, msg);
    } else if (msg.totalLen !== pkt.totalLen || msg.opId !== pkt.opId || msg.long) {
      this.#core.count('dropInconsistentSegment');
      return;
    }
    if (!msg.long) {
      if (msg.offsets.has(pkt.segOffset)) {
        this.#core.count('dropDuplicateSegment');
        return;
      }
      msg.offsets.add(pkt.segOffset);
      msg.bytes!.set(pkt.payload, pkt.segOffset);
      msg.received += pkt.payload.length;
    }
    this.#drain(window);
  }

  /** efa-direct: the device hands a send to the first posted receive, or answers RNR. No ordering. */
  onDirect(pkt: WirePacket, from: EndpointName): void {
    const msg: Incoming = {
      from, long: false, flags: pkt.flags, tag: 0n, data: pkt.data, msgId: 0, opId: pkt.opId,
      totalLen: pkt.totalLen, bytes: pkt.payload, received: pkt.totalLen, answered: false, offsets: new Set(),
    };
    const index = this.#posted.findIndex((recv) => matches(recv, msg));
    if (index < 0) {
      this.#core.count('rnr');
      this.#respond(from, pkt, 'RNR');
      return;
    }
    const [recv] = this.#posted.splice(index, 1);
    this.#consume(msg, recv!);
  }

  /** Long-CTS data for a granted window. */
  onCtsData(pkt: WirePacket, from: EndpointName): void {
    const long = this.#longs.get(pkt.rkey);
    const end = pkt.segOffset + pkt.payload.length;
    if (long === undefined || nameKey(long.msg.from) !== nameKey(from) || long.msg.opId !== pkt.opId
      || end > long.grantedEnd || pkt.segOffset < long.grantedStart) {
      this.#core.count('ctsDataUnmatched');
      return;
    }
    if (long.offsets.has(pkt.segOffset)) {
      this.#core.count('dropDuplicateSegment');
      return;
    }
    long.offsets.add(pkt.segOffset);
    const room = Math.max(0, Math.min(end, long.recv.buf.length) - pkt.segOffset);
    if (room > 0) long.recv.buf.set(pkt.payload.subarray(0, room), pkt.segOffset);
    long.received += pkt.payload.length;
    if (long.received < long.grantedEnd) return;
    if (long.received < long.msg.totalLen) {
      this.#grant(long);
      return;
    }
    this.#longs.delete(pkt.rkey);
    this.#finish(long.recv, long.msg);
    // Not ORDERED: the msg_id's window slot was released by the first CTS or by QUEUED.
    this.#respond(from, { msgId: long.msg.msgId, opId: long.msg.opId }, 'OK', false);
  }

  #window(from: EndpointName): ReorderWindow<Incoming> | undefined {
    const key = nameKey(from);
    let window = this.#windows.get(key);
    if (window === undefined) {
      if (this.#windows.size >= RX_PEERS_MAX) return undefined;
      const { recvWindowSize, initialMsgId } = this.#core.limits;
      window = new ReorderWindow<Incoming>(recvWindowSize, initialMsgId);
      this.#windows.set(key, window);
    }
    return window;
  }

  #drain(window: ReorderWindow<Incoming>): void {
    for (let guard = 0; guard < window.size + 1024; guard++) {
      const msg = window.takeNext((m) => m.long || m.received >= m.totalLen);
      if (msg === undefined) return;
      this.#deliver(msg);
    }
  }

  /** In order: match a posted receive, else keep it as unexpected, else RNR. */
  #deliver(msg: Incoming): void {
    const index = this.#posted.findIndex((recv) => matches(recv, msg));
    if (index >= 0) {
      const [recv] = this.#posted.splice(index, 1);
      this.#consume(msg, recv!);
      return;
    }
    if (this.#unexpected.length < this.#core.limits.unexpectedMsgsMax) {
      this.#unexpected.push(msg);
      this.#core.count('unexpected');
      // Eager/medium data is now in the provider's buffer: the send is complete. A long message is told it is
      // queued, which frees its window slot and tells the sender the peer is alive while it waits for a receive.
      msg.answered = !msg.long;
      this.#respond(msg.from, msg, msg.long ? 'QUEUED' : 'OK');
      return;
    }
    this.#core.count('rnr');
    this.#respond(msg.from, msg, 'RNR');
  }

  #consume(msg: Incoming, recv: RxOp): void {
    if (msg.long) {
      const long: LongRecv = { msg, recv, received: 0, grantedStart: 0, grantedEnd: 0, offsets: new Set() };
      this.#longs.set(recv.id, long);
      this.#grant(long);
      return;
    }
    this.#finish(recv, msg);
    if (!msg.answered) this.#respond(msg.from, msg, 'OK');
  }

  #grant(long: LongRecv): void {
    const start = long.grantedEnd;
    const grant = Math.min(this.#core.limits.ctsWindowBytes, long.msg.totalLen - start);
    long.grantedStart = start;
    long.grantedEnd = start + grant;
    long.offsets.clear();
    this.#core.send(long.msg.from, {
      ...BLANK, type: PktType.CTS, opId: long.msg.opId, msgId: long.msg.msgId, totalLen: long.msg.totalLen,
      segOffset: start, rOffset: grant, rkey: long.recv.id,
    });
  }

  /** Writes the receive completion (TRUNCATED when the buffer was short). */
  #finish(recv: RxOp, msg: Incoming): void {
    const placed = Math.min(recv.buf.length, msg.totalLen);
    if (msg.bytes !== null) recv.buf.set(msg.bytes.subarray(0, placed));
    if (placed < msg.totalLen) {
      this.#error(recv, msg, EfaErr.TRUNCATED, `message of ${msg.totalLen} bytes into a ${recv.buf.length}-byte buffer`,
        msg.totalLen - placed);
      return;
    }
    this.#core.count('recvCompleted');
    this.#core.cq.push(this.#entry(recv, msg, placed), 'rx');
  }

  #entry(recv: RxOp, msg: Incoming | null, len: number): CqEntry {
    const hasData = msg !== null && (msg.flags & PktFlag.CQ_DATA) !== 0;
    return {
      op_context: recv.context,
      flags: FI_RECV | (recv.tagged ? FI_TAGGED : FI_MSG) | (hasData ? FI_REMOTE_CQ_DATA : 0),
      len,
      buf: recv.buf,
      data: hasData ? msg.data : 0,
      tag: msg?.tag ?? recv.tag,
      src: msg === null ? FI_ADDR_UNSPEC : this.#core.av.reverse(msg.from),
      atPs: this.#core.now(),
    };
  }

  #error(recv: RxOp, msg: Incoming | null, err: string, message: string, olen: number): void {
    this.#core.count(`rxErr.${err}`);
    const len = msg === null ? 0 : Math.min(recv.buf.length, msg.totalLen);
    this.#core.cq.pushError({ ...this.#entry(recv, msg, len), err, message, olen }, 'rx');
  }

  /** An error that belongs to no posted receive (the message never reached one). */
  #unsolicited(from: EndpointName, err: string, message: string): void {
    this.#core.cq.pushError({
      op_context: undefined, flags: FI_RECV, len: 0, buf: null, data: 0, tag: 0n,
      src: this.#core.av.reverse(from), atPs: this.#core.now(), err, message, olen: 0,
    }, 'none');
  }

  #respond(to: EndpointName, about: { readonly msgId: number; readonly opId: number }, code: RespCode, ordered = true): void {
    const flags = this.#core.mode === 'efa' && ordered ? PktFlag.ORDERED : 0;
    this.#core.send(to, {
      ...BLANK, type: PktType.RESP, flags, msgId: about.msgId, opId: about.opId, code: RESP_CODES.indexOf(code),
    });
  }
}

function matches(recv: RxOp, msg: Incoming): boolean {
  if (recv.tagged !== ((msg.flags & PktFlag.TAGGED) !== 0)) return false;
  if (recv.from !== undefined && nameKey(recv.from) !== nameKey(msg.from)) return false;
  if (!recv.tagged) return true;
  const care = ~recv.ignore & 0xffff_ffff_ffff_ffffn;
  return (recv.tag & care) === (msg.tag & care);
}
