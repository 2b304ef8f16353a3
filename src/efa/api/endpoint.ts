// fi_endpoint (FI_EP_RDM) on the emulated EFA: the post calls with their checks and credits, and the dispatch of
// decoded packets to the sender, receiver and RMA-target halves. Packets reach it through its domain.
import { EmuError } from '../../errors.ts';
import type { HostId, Ps } from '../contracts.ts';
import { AddressVector, encodeRawAddress, type EndpointName } from './address.ts';
import { BLANK, type EpCore, type OutFields, type PacketDone, type ResolvedLimits } from './core.ts';
import { CompletionQueue, type Credit } from './cq.ts';
import { MrRegistry } from './mr.ts';
import { RmaTarget } from './rma.ts';
import { Receiver } from './rx.ts';
import { Sender, type TxKind } from './tx.ts';
import {
  EfaErr, EFA_MEDIUM_MSG_SIZE_MAX, FI_ADDR_UNSPEC, FI_EAGAIN, FI_SUCCESS, type EndpointMode, type FiAddr, type PostResult,
} from './types.ts';
import { PktFlag, PktType, RESP_CODES, encodePacket, isOrderedType, type RespCode, type WirePacket } from './wire.ts';

export const AV_SIZE_MAX = 65536;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** What the domain gives an endpoint: identity, limits, the wire and the clock. */
export interface EndpointWiring {
  readonly host: HostId;
  readonly qpn: number;
  readonly connid: number;
  readonly mode: EndpointMode;
  readonly limits: ResolvedLimits;
  now(): Ps;
  schedule(atPs: Ps, fn: () => void): () => void;
  transmit(dstHost: HostId, bytes: Uint8Array, done: PacketDone | undefined): void;
  randomU32(): number;
  onClose(): void;
}

export class Endpoint {
  readonly host: HostId;
  readonly mode: EndpointMode;
  readonly qpn: number;
  readonly connid: number;
  readonly av = new AddressVector(AV_SIZE_MAX);
  readonly cq: CompletionQueue;
  readonly mr: MrRegistry;
  /** fi_getopt(FI_OPT_MAX_MSG_SIZE) and (FI_OPT_MAX_RMA_SIZE). */
  readonly maxMsgSize: number;
  readonly maxRmaSize: number;
  readonly #limits: ResolvedLimits;
  readonly #wiring: EndpointWiring;
  readonly #tx: Sender;
  readonly #rx: Receiver;
  readonly #rma: RmaTarget;
  readonly #counters = new Map<string, number>();
  #txInUse = 0;
  #rxInUse = 0;
  #closed = false;

  constructor(wiring: EndpointWiring) {
    this.#wiring = wiring;
    this.host = wiring.host;
    this.mode = wiring.mode;
    this.qpn = wiring.qpn;
    this.connid = wiring.connid;
    this.#limits = wiring.limits;
    this.maxMsgSize = wiring.limits.msgSizeMax;
    this.maxRmaSize = wiring.limits.rmaSizeMax;
    this.cq = new CompletionQueue((credit) => this.#release(credit), (fn) => {
      wiring.schedule(wiring.now(), fn);
    });
    this.mr = new MrRegistry(() => wiring.randomU32());
    const core: EpCore = {
      host: this.host, qpn: this.qpn, connid: this.connid, mode: this.mode, limits: this.#limits,
      cq: this.cq, av: this.av, mr: this.mr,
      now: () => wiring.now(),
      schedule: (atPs, fn) => wiring.schedule(atPs, fn),
      send: (dst, fields, done) => this.#send(dst, fields, done),
      count: (counter, by = 1) => this.#count(counter, by),
      readInternal: (peer, buf, key, done) => this.#tx.post({
        id: this.#tx.newOpId(), kind: 'read', context: undefined, buf, peer, tagged: false, tag: 0n, data: 0,
        hasData: false, rkey: key, raddr: 0, msgId: undefined, transmitted: false, parked: false, unacked: 0,
        responded: false, done: false, readBytes: 0, lastProgressPs: wiring.now(), onDone: done,
      }),
    };
    this.#tx = new Sender(core);
    this.#rx = new Receiver(core);
    this.#rma = new RmaTarget(core);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The resolved limits (eager threshold, window, sizes) this endpoint runs with. */
  get limits(): ResolvedLimits {
    return this.#limits;
  }

  /** fi_getname: the 32-byte raw address peers insert into their AV. */
  getname(): Uint8Array {
    return encodeRawAddress({ host: this.host, qpn: this.qpn, connid: this.connid });
  }

  send(buf: Uint8Array, dest: FiAddr, context?: unknown): PostResult {
    return this.#postMsg(buf, dest, false, 0n, undefined, context);
  }

  /** fi_senddata: `data` (u32, EFA's 4-byte remote CQ data) arrives in the receive completion. */
  senddata(buf: Uint8Array, data: number, dest: FiAddr, context?: unknown): PostResult {
    return this.#postMsg(buf, dest, false, 0n, data, context);
  }

  /** fi_tsend: 'efa' only (tags are emulated by the provider). */
  tsend(buf: Uint8Array, dest: FiAddr, tag: bigint, context?: unknown): PostResult {
    return this.#postMsg(buf, dest, true, tag, undefined, context);
  }

  recv(buf: Uint8Array, src: FiAddr, context?: unknown): PostResult {
    return this.#postRecv(buf, src, false, 0n, 0n, context);
  }

  /** fi_trecv: matches when (tag & ~ignore) equals the message's (tag & ~ignore). */
  trecv(buf: Uint8Array, src: FiAddr, tag: bigint, ignore: bigint, context?: unknown): PostResult {
    return this.#postRecv(buf, src, true, tag, ignore, context);
  }

  /** fi_write of `buf` to [addr, addr + len) of the peer's region `key`. */
  write(buf: Uint8Array, dest: FiAddr, addr: number, key: number, context?: unknown): PostResult {
    return this.#postRma('write', buf, dest, addr, key, context);
  }

  /** fi_read of [addr, addr + buf.length) of the peer's region `key` into `buf`. */
  read(buf: Uint8Array, dest: FiAddr, addr: number, key: number, context?: unknown): PostResult {
    return this.#postRma('read', buf, dest, addr, key, context);
  }

  /** fi_close: outstanding operations complete with CANCELED; later posts throw EP_CLOSED; peers get BAD_QP. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tx.cancelAll(EfaErr.CANCELED);
    this.#rx.cancelAll();
    this.mr.closeAll();
    this.#wiring.onClose();
  }

  stats(): Readonly<Record<string, number>> {
    const out: Record<string, number> = {
      txInUse: this.#txInUse, rxInUse: this.#rxInUse, txInFlight: this.#tx.inFlight,
      recvPosted: this.#rx.postedCount, unexpected: this.#rx.unexpectedCount,
    };
    for (const [name, value] of [...this.#counters].sort(([a], [b]) => (a < b ? -1 : 1))) out[name] = value;
    return out;
  }

  /** Called by the domain with a packet addressed to this endpoint (qpn and connid already checked). */
  deliver(pkt: WirePacket, from: EndpointName): void {
    if (this.#closed) return;
    this.#count('packetsIn');
    switch (pkt.type) {
      case PktType.EAGER: case PktType.MEDIUM: case PktType.LONG_RTS: case PktType.LONG_READ_RTS: case PktType.SKIP:
        if (this.mode !== 'efa') return this.#respond(from, pkt, 'PROTOCOL_MISMATCH');
        if (pkt.type === PktType.MEDIUM && pkt.totalLen > EFA_MEDIUM_MSG_SIZE_MAX) return this.#malformed(from, 'medium message over 64 KiB');
        if ((pkt.type === PktType.LONG_RTS || pkt.type === PktType.LONG_READ_RTS) && pkt.totalLen > this.#limits.msgSizeMax) {
          return this.#respond(from, pkt, 'MSG_TOO_LARGE');
        }
        return this.#rx.onOrdered(pkt, from);
      case PktType.DIRECT_SEND:
        if (this.mode !== 'efa-direct') return this.#respond(from, pkt, 'PROTOCOL_MISMATCH');
        return this.#rx.onDirect(pkt, from);
      case PktType.RESP: return this.#tx.onResp(pkt, from);
      case PktType.CTS: return this.#tx.onCts(pkt, from);
      case PktType.READ_RESP: return this.#tx.onReadResp(pkt, from);
      case PktType.CTS_DATA: return this.#rx.onCtsData(pkt, from);
      case PktType.WRITE: return this.#rma.onWrite(pkt, from);
      case PktType.READ_REQ: return this.#rma.onReadReq(pkt, from);
    }
  }

  /** efa-direct admission (the NIC's receive check before it ACKs): would a send from `from` find a receive? */
  admitsDirectSend(from: EndpointName): boolean {
    return !this.#closed && this.mode === 'efa-direct' && this.#rx.hasReceiveFor(from);
  }

  /** A packet for this endpoint that did not decode: counted and reported, never acted on. */
  reportMalformed(reason: string): void {
    if (this.#closed) return;
    this.#count('malformedPackets');
    this.cq.pushError({
      op_context: undefined, flags: 0, len: 0, buf: null, data: 0, tag: 0n, src: FI_ADDR_UNSPEC,
      atPs: this.#wiring.now(), err: EfaErr.MALFORMED_PACKET, message: reason, olen: 0,
    }, 'none');
  }

  #postMsg(buf: Uint8Array, dest: FiAddr, tagged: boolean, tag: bigint, data: number | undefined, context: unknown): PostResult {
    this.#checkOpen();
    checkBuffer(buf);
    if (tagged && this.mode !== 'efa') {
      throw new EmuError('OP_NOT_SUPPORTED', 'tagged messages exist only on the efa fabric (efa-direct has no FI_TAGGED)');
    }
    if (tagged) checkTag(tag);
    if (data !== undefined && (!Number.isInteger(data) || data < 0 || data > 0xffff_ffff)) {
      throw new EmuError('BAD_CQ_DATA', 'remote CQ data is 4 bytes on EFA (a u32)', { data });
    }
    const peer = this.av.lookup(dest);
    if (buf.length > this.maxMsgSize) {
      throw new EmuError(EfaErr.MSG_TOO_LARGE, `message of ${buf.length} bytes over FI_OPT_MAX_MSG_SIZE ${this.maxMsgSize}`, {
        length: buf.length, max: this.maxMsgSize, mode: this.mode,
      });
    }
    return this.#postTx('msg', { buf, peer, tagged, tag, data: data ?? 0, hasData: data !== undefined, rkey: 0, raddr: 0, context });
  }

  #postRma(kind: TxKind, buf: Uint8Array, dest: FiAddr, addr: number, key: number, context: unknown): PostResult {
    this.#checkOpen();
    checkBuffer(buf);
    if (!Number.isInteger(addr) || addr < 0 || addr > 0xffff_ffff || !Number.isInteger(key) || key < 0 || key > 0xffff_ffff) {
      throw new EmuError('BAD_RMA_TARGET', 'addr and key must be u32', { addr, key });
    }
    const peer = this.av.lookup(dest);
    if (buf.length > this.maxRmaSize) {
      throw new EmuError(EfaErr.MSG_TOO_LARGE, `RMA of ${buf.length} bytes over FI_OPT_MAX_RMA_SIZE ${this.maxRmaSize}`, {
        length: buf.length, max: this.maxRmaSize,
      });
    }
    return this.#postTx(kind, { buf, peer, tagged: false, tag: 0n, data: 0, hasData: false, rkey: key, raddr: addr, context });
  }

  #postTx(kind: TxKind, p: {
    buf: Uint8Array; peer: EndpointName; tagged: boolean; tag: bigint; data: number; hasData: boolean;
    rkey: number; raddr: number; context: unknown;
  }): PostResult {
    if (this.#txInUse >= this.#limits.txSize) return FI_EAGAIN;
    this.#txInUse += 1;
    this.#tx.post({
      id: this.#tx.newOpId(), kind, context: p.context, buf: p.buf, peer: p.peer, tagged: p.tagged, tag: p.tag,
      data: p.data, hasData: p.hasData, rkey: p.rkey, raddr: p.raddr, msgId: undefined, transmitted: false, parked: false,
      unacked: 0, responded: false, done: false, readBytes: 0, lastProgressPs: this.#wiring.now(),
    });
    return FI_SUCCESS;
  }

  #postRecv(buf: Uint8Array, src: FiAddr, tagged: boolean, tag: bigint, ignore: bigint, context: unknown): PostResult {
    this.#checkOpen();
    checkBuffer(buf);
    if (tagged && this.mode !== 'efa') throw new EmuError('OP_NOT_SUPPORTED', 'fi_trecv needs the efa fabric');
    if (tagged) {
      checkTag(tag);
      checkTag(ignore);
    }
    const from = src === FI_ADDR_UNSPEC ? undefined : this.av.lookup(src);
    if (this.#rxInUse >= this.#limits.rxSize) return FI_EAGAIN;
    this.#rxInUse += 1;
    this.#rx.post({ id: this.#rx.newRecvId(), buf, from, tagged, tag, ignore, context });
    return FI_SUCCESS;
  }

  #checkOpen(): void {
    if (this.#closed) throw new EmuError('EP_CLOSED', 'endpoint is closed', { host: this.host, qpn: this.qpn });
  }

  #release(credit: Credit): void {
    if (credit === 'tx') this.#txInUse -= 1;
    else if (credit === 'rx') this.#rxInUse -= 1;
  }

  #send(dst: EndpointName, fields: OutFields, done: PacketDone | undefined): void {
    const bytes = encodePacket({ ...fields, srcQpn: this.qpn, srcConnId: this.connid, dstQpn: dst.qpn, dstConnId: dst.connid });
    this.#count('packetsOut');
    this.#wiring.transmit(dst.host, bytes, done);
  }

  #respond(to: EndpointName, pkt: WirePacket, code: RespCode): void {
    const ordered = isOrderedType(pkt.type);
    this.#send(to, {
      ...BLANK, type: PktType.RESP, flags: ordered ? PktFlag.ORDERED : 0, msgId: pkt.msgId, opId: pkt.opId,
      code: RESP_CODES.indexOf(code),
    }, undefined);
  }

  #malformed(_from: EndpointName, reason: string): void {
    this.reportMalformed(reason);
  }

  #count(counter: string, by = 1): void {
    this.#counters.set(counter, (this.#counters.get(counter) ?? 0) + by);
  }
}

function checkBuffer(buf: Uint8Array): void {
  if (!(buf instanceof Uint8Array)) throw new EmuError('BAD_BUFFER', 'buffers are Uint8Arrays');
}

function checkTag(tag: bigint): void {
  if (typeof tag !== 'bigint' || tag < 0n || tag > U64_MAX) throw new EmuError('BAD_TAG', 'tags are u64 bigints');
}
