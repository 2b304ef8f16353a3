// The sender half of an endpoint: operations, per-peer msg_id and send window (efa), packetising by protocol, and
// turning transport outcomes and receiver responses into exactly one completion per operation.
import { nameKey, type EndpointName } from './address.ts';
import { BLANK, type EpCore, type PacketDone } from './core.ts';
import { MRS_PER_ENDPOINT_MAX, type MemoryRegion } from './mr.ts';
import { ResponseWatch } from './tx-watch.ts';
import { EfaErr, EFA_MEDIUM_MSG_SIZE_MAX, EFA_READ_MSG_SIZE_MIN, FI_ADDR_UNSPEC, FI_REMOTE_READ, FI_MSG, FI_READ, FI_RMA, FI_SEND, FI_TAGGED, FI_WRITE } from './types.ts';
import { PktFlag, PktType, RESP_CODES, type WirePacket } from './wire.ts';

const ID_SPACE = 0x1_0000_0000;
/** Packets one CTS grant may ask for: bounds the work one control packet can cause. */
const PACKETS_PER_GRANT_MAX = 4096;

export type TxKind = 'msg' | 'write' | 'read';

export interface TxOp {
  readonly id: number;
  readonly kind: TxKind;
  readonly context: unknown;
  readonly buf: Uint8Array;
  readonly peer: EndpointName;
  readonly tagged: boolean;
  readonly tag: bigint;
  readonly data: number;
  readonly hasData: boolean;
  readonly rkey: number;
  readonly raddr: number;
  msgId: number | undefined;
  transmitted: boolean;
  /** A long message queued at the receiver until its application posts a receive: no response timeout. */
  parked: boolean;
  unacked: number;
  responded: boolean;
  done: boolean;
  readBytes: number;
  lastProgressPs: number;
  /** Long-read: the region the receiver reads this message from; closed when the operation ends. */
  readRegion?: MemoryRegion;
  /** Read data offsets received (a duplicated packet must not count twice). */
  readOffsets?: Set<number>;
  /** Provider-internal operation (a long-read's read): reported here instead of the CQ. */
  readonly onDone?: PacketDone;
}

interface PeerTx {
  readonly name: EndpointName;
  readonly key: string;
  nextMsgId: number;
  /** msg_ids sent and not yet answered, in send order (the receiver answers in that order). */
  readonly outstanding: Set<number>;
  readonly backlog: TxOp[];
  broken: boolean;
}

export class Sender {
  readonly #core: EpCore;
  readonly #ops = new Map<number, TxOp>();
  readonly #peers = new Map<string, PeerTx>();
  #nextOpId = 1;
  readonly #watch: ResponseWatch;

  constructor(core: EpCore) {
    this.#core = core;
    this.#watch = new ResponseWatch(core, this.#ops, (op) => this.#breakPeer(this.#peer(op.peer)));
  }

  get inFlight(): number {
    return this.#ops.size;
  }

  newOpId(): number {
    const id = this.#nextOpId;
    this.#nextOpId = (this.#nextOpId % (ID_SPACE - 1)) + 1;
    return id;
  }

  post(op: TxOp): void {
    this.#ops.set(op.id, op);
    const peer = this.#peer(op.peer);
    if (peer.broken) {
      this.fail(op, EfaErr.REMOTE_UNRESPONSIVE, 'peer was declared unresponsive earlier');
      return;
    }
    if (op.kind === 'msg' && this.#core.mode === 'efa') {
      peer.backlog.push(op);
      this.#pump(peer);
      return;
    }
    this.#transmit(op);
    if (op.kind === 'msg') this.#sendData(op, PktType.DIRECT_SEND, 0, op.buf.length);
    else if (op.kind === 'write') this.#sendSegments(op, PktType.WRITE, 0, op.buf.length, 0);
    else this.#sendControl(op, PktType.READ_REQ);
  }

  /** RESP from a receiver: accept, or fail the operation with the receiver's code. */
  onResp(pkt: WirePacket, from: EndpointName): void {
    const peer = this.#peers.get(nameKey(from));
    const op = this.#ops.get(pkt.opId);
    const ordered = (pkt.flags & PktFlag.ORDERED) !== 0;
    if (peer !== undefined && ordered && (op === undefined || op.msgId === pkt.msgId)) {
      peer.outstanding.delete(pkt.msgId);
    }
    if (op !== undefined && nameKey(op.peer) === nameKey(from)) {
      const code = RESP_CODES[pkt.code]!;
      if (code === 'OK') {
        op.responded = true;
        this.#progress(op);
      } else if (code === 'QUEUED') {
        op.parked = true;
      } else if (code === 'READING') {
        op.parked = false;
        this.#progress(op);
        this.#watch.arm();
      } else if (code !== 'SKIPPED') {
        this.fail(op, code, `receiver answered ${code}`);
      }
    } else {
      this.#core.count('respUnmatched');
    }
    if (peer !== undefined) this.#pump(peer);
  }

  /** CTS: send the granted window of a long message. */
  onCts(pkt: WirePacket, from: EndpointName): void {
    const op = this.#ops.get(pkt.opId);
    if (op === undefined || op.done || nameKey(op.peer) !== nameKey(from) || pkt.totalLen !== op.buf.length) {
      this.#core.count('ctsUnmatched');
      return;
    }
    const { segOffset: start, rOffset: grant } = pkt;
    if (Math.ceil(grant / this.#core.limits.segmentBytesMax) > PACKETS_PER_GRANT_MAX) {
      this.#core.count('ctsOversized');
      return;
    }
    op.lastProgressPs = this.#core.now();
    op.parked = false;
    this.#watch.arm();
    // The first CTS shows the receiver took the msg_id in order: its window slot is free.
    const peer = this.#peers.get(nameKey(from));
    if (peer !== undefined && op.msgId !== undefined && peer.outstanding.delete(op.msgId)) this.#pump(peer);
    this.#sendSegments(op, PktType.CTS_DATA, start, start + grant, pkt.rkey);
  }

  /** Data answering our RDMA read. */
  onReadResp(pkt: WirePacket, from: EndpointName): void {
    const op = this.#ops.get(pkt.opId);
    const end = pkt.segOffset + pkt.payload.length;
    if (op === undefined || op.kind !== 'read' || op.done || nameKey(op.peer) !== nameKey(from)
      || pkt.totalLen !== op.buf.length || end > op.buf.length) {
      this.#core.count('readRespUnmatched');
      return;
    }
    op.readOffsets ??= new Set();
    if (op.readOffsets.has(pkt.segOffset)) {
      this.#core.count('dropDuplicateSegment');
      return;
    }
    op.readOffsets.add(pkt.segOffset);
    op.buf.set(pkt.payload, pkt.segOffset);
    op.readBytes += pkt.payload.length;
    if (op.readBytes >= op.buf.length) op.responded = true;
    this.#progress(op);
  }

  /** Fails every operation (endpoint closing). */
  cancelAll(code: string): void {
    for (const op of [...this.#ops.values()]) this.fail(op, code, 'endpoint closed');
    for (const peer of this.#peers.values()) peer.backlog.length = 0;
  }

  fail(op: TxOp, code: string, message: string): void {
    if (op.done) return;
    op.done = true;
    this.#ops.delete(op.id);
    op.readRegion?.close();
    this.#core.count(`txErr.${code}`);
    if (op.onDone !== undefined) op.onDone(false, code);
    else this.#core.cq.pushError({ ...this.#entry(op), err: code, message, olen: 0 }, 'tx');
    this.#watch.settle();
  }

  #entry(op: TxOp): { op_context: unknown; flags: number; len: number; buf: Uint8Array; data: number; tag: bigint; src: number; atPs: number } {
    const flags = op.kind === 'msg' ? FI_SEND | (op.tagged ? FI_TAGGED : FI_MSG)
      : FI_RMA | (op.kind === 'write' ? FI_WRITE : FI_READ);
    return { op_context: op.context, flags, len: op.buf.length, buf: op.buf, data: 0, tag: op.tag, src: FI_ADDR_UNSPEC, atPs: this.#core.now() };
  }

  #peer(name: EndpointName): PeerTx {
    const key = nameKey(name);
    let peer = this.#peers.get(key);
    if (peer === undefined) {
      peer = { name, key, nextMsgId: this.#core.limits.initialMsgId, outstanding: new Set(), backlog: [], broken: false };
      this.#peers.set(key, peer);
    }
    return peer;
  }

  /** efa: send backlog messages while the peer's receive window has room for them. */
  #pump(peer: PeerTx): void {
    const { recvWindowSize, senderWindowLimit } = this.#core.limits;
    while (peer.backlog.length > 0 && !peer.broken) {
      if (senderWindowLimit && peer.outstanding.size > 0) {
        const oldest = peer.outstanding.values().next().value as number;
        if ((peer.nextMsgId - oldest + ID_SPACE) % ID_SPACE >= recvWindowSize) return;
      }
      const op = peer.backlog.shift()!;
      if (op.done) continue;
      op.msgId = peer.nextMsgId;
      peer.nextMsgId = (peer.nextMsgId + 1) % ID_SPACE;
      peer.outstanding.add(op.msgId);
      this.#transmit(op);
      const len = op.buf.length;
      if (len <= this.#core.limits.eagerBytesMax) this.#sendData(op, PktType.EAGER, 0, len);
      else if (len <= EFA_MEDIUM_MSG_SIZE_MAX) this.#sendSegments(op, PktType.MEDIUM, 0, len, 0);
      else if (len < EFA_READ_MSG_SIZE_MIN || !this.#offerForRead(op)) this.#sendControl(op, PktType.LONG_RTS);
    }
  }

  /** Long-read: exposes the message for the receiver to RDMA-read (false: no region free, use long-CTS). */
  #offerForRead(op: TxOp): boolean {
    if (this.#core.mr.count >= MRS_PER_ENDPOINT_MAX) return false;
    const region = this.#core.mr.reg(op.buf, { access: FI_REMOTE_READ });
    op.readRegion = region;
    op.unacked += 1;
    const fields = { ...this.#fields(op, PktType.LONG_READ_RTS), rkey: region.key, rOffset: 0 };
    this.#core.send(op.peer, fields, (ok, code) => this.#packetDone(op, ok, code));
    return true;
  }

  #transmit(op: TxOp): void {
    op.transmitted = true;
    op.lastProgressPs = this.#core.now();
    this.#watch.arm();
  }

  #fields(op: TxOp, type: number) {
    return {
      ...BLANK,
      type: type as WirePacket['type'],
      flags: (op.tagged ? PktFlag.TAGGED : 0) | (op.hasData ? PktFlag.CQ_DATA : 0),
      msgId: op.msgId ?? 0,
      opId: op.id,
      tag: op.tag,
      data: op.data,
      totalLen: op.buf.length,
      rkey: op.rkey,
      rOffset: op.raddr,
    };
  }

  #sendControl(op: TxOp, type: number): void {
    op.unacked += 1;
    this.#core.send(op.peer, this.#fields(op, type), (ok, code) => this.#packetDone(op, ok, code));
  }

  #sendData(op: TxOp, type: number, start: number, end: number, rkey?: number): void {
    op.unacked += 1;
    // A view, not a copy: encodePacket copies it into the packet once.
    const fields = { ...this.#fields(op, type), segOffset: start, payload: op.buf.subarray(start, end) };
    if (rkey !== undefined) Object.assign(fields, { rkey });
    this.#core.send(op.peer, fields, (ok, code) => this.#packetDone(op, ok, code));
  }

  /** [start, end) in ≤ segment-size packets; a zero-length message still sends one packet. */
  #sendSegments(op: TxOp, type: number, start: number, end: number, rkey: number): void {
    const step = this.#core.limits.segmentBytesMax;
    if (start === end) {
      this.#sendData(op, type, start, end, type === PktType.CTS_DATA ? rkey : undefined);
      return;
    }
    for (let offset = start; offset < end; offset += step) {
      this.#sendData(op, type, offset, Math.min(end, offset + step), type === PktType.CTS_DATA ? rkey : undefined);
    }
  }

  #packetDone(op: TxOp, ok: boolean, code: string | undefined): void {
    op.unacked -= 1;
    if (op.done) return;
    if (!ok) {
      this.fail(op, code ?? EfaErr.REMOTE_UNRESPONSIVE, `transport gave up on a packet (${code ?? 'no code'})`);
      if (op.msgId === undefined) return;
      if (code !== EfaErr.BAD_QP) {
        this.#sendSkip(op);
        return;
      }
      // BAD_QP from the device: the endpoint is gone, there is no window to keep moving; free the slot.
      const peer = this.#peer(op.peer);
      if (peer.outstanding.delete(op.msgId)) this.#pump(peer);
      return;
    }
    this.#progress(op);
  }

  /** Tells the receiver to step over an aborted msg_id; if even that fails the peer is unreachable. */
  #sendSkip(op: TxOp): void {
    const fields = { ...BLANK, type: PktType.SKIP, msgId: op.msgId!, opId: op.id };
    this.#core.send(op.peer, fields, (ok) => {
      if (!ok) this.#breakPeer(this.#peer(op.peer));
    });
  }

  #breakPeer(peer: PeerTx): void {
    peer.broken = true;
    peer.outstanding.clear();
    for (const op of [...this.#ops.values()]) {
      if (nameKey(op.peer) === peer.key) this.fail(op, EfaErr.REMOTE_UNRESPONSIVE, 'peer is unresponsive');
    }
    peer.backlog.length = 0;
  }

  #progress(op: TxOp): void {
    op.lastProgressPs = this.#core.now();
    if (op.done || op.unacked > 0 || !op.responded) return;
    op.done = true;
    this.#ops.delete(op.id);
    op.readRegion?.close();
    if (op.onDone !== undefined) op.onDone(true, undefined);
    else this.#core.cq.push(this.#entry(op), 'tx');
    this.#watch.settle();
  }
}
