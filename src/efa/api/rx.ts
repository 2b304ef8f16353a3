// The receiver half of an endpoint: posted receives, tag matching, the efa per-peer reorder window (SAS), the
// unexpected-message buffer, long-CTS grants, and efa-direct's unordered device receive. Every message ends in a
// RESP to its sender (accepted, RNR, window error…) so no drop goes untold.
import { nameKey, type EndpointName } from './address.ts';
import { BLANK, type EpCore } from './core.ts';
import { ReorderWindow } from './reorder.ts';
import {
  matches, respond, rxEntry, rxError, rxUnsolicited, type Incoming, type LongRecv, type RxOp,
} from './rx-parts.ts';
import { EfaErr } from './types.ts';
import { PktType, RESP_CODES, type RespCode, type WirePacket } from './wire.ts';

export type { RxOp } from './rx-parts.ts';

/** Peers with reorder state per endpoint; beyond, messages from new peers are refused (RNR). */
export const RX_PEERS_MAX = 4096;
/** Long-CTS windows kept granted ahead of the data received. */
export const CTS_GRANTS_AHEAD = 2;

export class Receiver {
  readonly #core: EpCore;
  readonly #posted: RxOp[] = [];
  readonly #unexpected: Incoming[] = [];
  readonly #windows = new Map<string, ReorderWindow<Incoming>>();
  readonly #longs = new Map<number, LongRecv>();
  /** Receives being filled by a long-read, by receive id. */
  readonly #readsActive = new Map<number, RxOp>();
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
    for (const recv of this.#posted.splice(0)) rxError(this.#core, recv, null, EfaErr.CANCELED, 'endpoint closed', 0);
    for (const long of this.#longs.values()) rxError(this.#core, long.recv, long.msg, EfaErr.CANCELED, 'endpoint closed', 0);
    this.#longs.clear();
    for (const recv of this.#readsActive.values()) rxError(this.#core, recv, null, EfaErr.CANCELED, 'endpoint closed', 0);
    this.#readsActive.clear();
  }

  /** efa RTM packets (EAGER, MEDIUM, LONG_RTS) and SKIP: through the per-peer reorder window. */
  onOrdered(pkt: WirePacket, from: EndpointName): void {
    const window = this.#window(from);
    if (window === undefined) {
      respond(this.#core, from, pkt, 'RNR');
      return;
    }
    if (pkt.type === PktType.SKIP) {
      this.#core.count('skipsReceived');
      if (!window.skip(pkt.msgId)) this.#core.count('skipSetFull');
      respond(this.#core, from, pkt, 'SKIPPED');
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
      // A full skip set means a sender far outside the protocol: that peer's window then stalls (counted).
      if (!window.skip(pkt.msgId)) this.#core.count('skipSetFull');
      rxUnsolicited(this.#core, from, EfaErr.RECV_WINDOW_OVERFLOW,
        `msg_id ${pkt.msgId} is ${window.size} or more ahead of ${window.expected}`);
      respond(this.#core, from, pkt, 'RECV_WINDOW_OVERFLOW');
      return;
    }
    let msg = window.get(pkt.msgId);
    if (msg === undefined) {
      if (place === 'in-window') this.#core.count('arrivedAhead');
      const long = pkt.type === PktType.LONG_RTS || pkt.type === PktType.LONG_READ_RTS;
      const readKey = pkt.type === PktType.LONG_READ_RTS ? pkt.rkey : 0;
      // An eager message is this one packet, whose bytes nobody else holds: keep a view, stage no copy.
      const eager = pkt.type === PktType.EAGER;
      msg = {
        from, long, flags: pkt.flags, tag: pkt.tag, data: pkt.data, msgId: pkt.msgId, opId: pkt.opId,
        totalLen: pkt.totalLen, bytes: long ? null : eager ? pkt.payload : new Uint8Array(pkt.totalLen),
        received: eager ? pkt.totalLen : 0, answered: false, offsets: new Set(eager ? [0] : []), readKey,
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

  /** efa-direct device admission: is a receive posted that a send from `from` would take? */
  hasReceiveFor(from: EndpointName): boolean {
    return this.#posted.some((recv) => !recv.tagged && (recv.from === undefined || nameKey(recv.from) === nameKey(from)));
  }

  /** efa-direct: the device hands a send to the first posted receive, or answers RNR. No ordering. */
  onDirect(pkt: WirePacket, from: EndpointName): void {
    const msg: Incoming = {
      from, long: false, flags: pkt.flags, tag: 0n, data: pkt.data, msgId: 0, opId: pkt.opId,
      totalLen: pkt.totalLen, bytes: pkt.payload, received: pkt.totalLen, answered: false, offsets: new Set(), readKey: 0,
    };
    const index = this.#posted.findIndex((recv) => matches(recv, msg));
    if (index < 0) {
      this.#core.count('rnr');
      respond(this.#core, from, pkt, 'RNR');
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
      || end > long.grantedEnd) {
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
    if (long.received < long.msg.totalLen) {
      this.#topUp(long);
      return;
    }
    this.#longs.delete(pkt.rkey);
    this.#finish(long.recv, long.msg);
    // Not ORDERED: the msg_id's window slot was released by the first CTS or by QUEUED.
    respond(this.#core, from, { msgId: long.msg.msgId, opId: long.msg.opId }, 'OK', false);
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
      this.#core.count('unexpectedQueued');
      // Eager/medium data is now in the provider's buffer: the send is complete. A long message is told it is
      // queued, which frees its window slot and tells the sender the peer is alive while it waits for a receive.
      msg.answered = !msg.long;
      respond(this.#core, msg.from, msg, msg.long ? 'QUEUED' : 'OK');
      return;
    }
    this.#core.count('rnr');
    respond(this.#core, msg.from, msg, 'RNR');
  }

  #consume(msg: Incoming, recv: RxOp): void {
    if (msg.readKey !== 0) {
      this.#read(msg, recv);
      return;
    }
    if (msg.long) {
      const long: LongRecv = { msg, recv, received: 0, grantedEnd: 0, offsets: new Set() };
      this.#longs.set(recv.id, long);
      this.#topUp(long);
      return;
    }
    this.#finish(recv, msg);
    if (!msg.answered) respond(this.#core, msg.from, msg, 'OK');
  }

  /**
   * Keeps CTS_GRANTS_AHEAD windows granted: a new window is granted as soon as one is fully received, so the sender
   * never idles a round trip between windows.
   */
  #topUp(long: LongRecv): void {
    const window = this.#core.limits.ctsWindowBytes;
    for (let guard = 0; guard < CTS_GRANTS_AHEAD; guard++) {
      if (long.grantedEnd >= long.msg.totalLen || long.grantedEnd - long.received >= CTS_GRANTS_AHEAD * window) return;
      if (long.grantedEnd > 0 && long.grantedEnd - long.received > (CTS_GRANTS_AHEAD - 1) * window) return;
      this.#grant(long);
    }
  }

  /** Long-read: pull the message from the sender's region into the receive buffer, then tell the sender. */
  #read(msg: Incoming, recv: RxOp): void {
    this.#core.count('longReads');
    respond(this.#core, msg.from, msg, 'READING');
    const placed = Math.min(recv.buf.length, msg.totalLen);
    this.#readsActive.set(recv.id, recv);
    this.#core.readInternal(msg.from, recv.buf.subarray(0, placed), msg.readKey, (ok, code) => {
      if (!this.#readsActive.delete(recv.id)) return;
      if (ok) {
        this.#finish(recv, msg);
        respond(this.#core, msg.from, msg, 'OK', false);
        return;
      }
      rxError(this.#core, recv, msg, code ?? EfaErr.REMOTE_UNRESPONSIVE, 'reading the message from its sender failed', 0);
      const answer = (RESP_CODES as readonly string[]).includes(code ?? '') ? (code as RespCode) : undefined;
      if (answer !== undefined) respond(this.#core, msg.from, msg, answer, false);
    });
  }

  #grant(long: LongRecv): void {
    const start = long.grantedEnd;
    const grant = Math.min(this.#core.limits.ctsWindowBytes, long.msg.totalLen - start);
    long.grantedEnd = start + grant;
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
      rxError(this.#core, recv, msg, EfaErr.TRUNCATED, `message of ${msg.totalLen} bytes into a ${recv.buf.length}-byte buffer`,
        msg.totalLen - placed);
      return;
    }
    this.#core.count('recvCompleted');
    this.#core.cq.push(rxEntry(this.#core, recv, msg, placed), 'rx');
  }
}
