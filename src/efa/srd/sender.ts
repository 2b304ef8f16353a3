import { assert } from '../../errors.ts';
import type { Fabric, HostId, Packet, PacketProtector, TransferCompletion } from '../contracts.ts';
import { Congestion, type RateStamp } from './congestion.ts';
import { PSN_WINDOW, TIMEOUTS_PER_PSN_MAX } from './constants.ts';
import type { EventPort } from './events.ts';
import { DROP_CODE_NAMES, DROP_OK, type SrdAckHeader, type SrdDataHeader } from './header.ts';
import { PathSet } from './paths.ts';
import type { SrdCounters } from './stats.ts';

export interface SrdMessage {
  readonly id: number;
  readonly dst: HostId;
  readonly bytes: number;
  readonly payload: Uint8Array | undefined;
  readonly onComplete: (completion: TransferCompletion) => void;
  readonly postedPs: number;
  readonly packetsTotal: number;
  packetsAcked: number;
  packetsMade: number;
  nextOffset: number;
  done: boolean;
}

/** One PSN's state while unresolved; the object is reused across its retransmissions. */
interface TxEntry extends RateStamp {
  readonly psn: number;
  readonly msg: SrdMessage;
  readonly offset: number;
  readonly length: number;
  readonly wire: number;
  ev: number;
  pathSeq: number;
  sentPs: number;
  txCount: number;
  timeouts: number;
  acked: boolean;
  inFlight: boolean;
  deliveredAtSend: number;
  deliveredPsAtSend: number;
}

/** What every context of one host's SRD engine shares. */
export interface SenderShared {
  readonly fabric: Fabric;
  readonly host: HostId;
  readonly port: EventPort;
  readonly rtoHandler: number;
  readonly wakeHandler: number;
  readonly protector: PacketProtector | undefined;
  readonly counters: SrdCounters;
  readonly entropyValues: number;
  readonly congestionControl: boolean;
  readonly rerouteOnRetransmit: boolean;
  readonly pathGapDetector: boolean;
  readonly mtuBytes: number;
  readonly dataOverheadBytes: number;
  readonly baseRttGuessPs: number;
}

const RING_INITIAL = 64;
/** Compact a consumed queue prefix once it is this long (amortised O(1) dequeue without a deque class). */
const COMPACT_AT = 1024;

/**
 * The send side of one SRD context (this host's NIC → one remote NIC), research/efa-srd.md §5.3: PSNs, spraying
 * over entropy values, per-path FIFO-gap loss detection, per-packet RTO with backoff, reroute-on-retransmit,
 * pacing under rate + in-flight cap.
 */
export class SrdSender {
  readonly dst: HostId;
  readonly paths: PathSet;
  readonly cc: Congestion;
  readonly #s: SenderShared;
  #ring: (TxEntry | undefined)[] = new Array<TxEntry | undefined>(RING_INITIAL).fill(undefined);
  #mask = RING_INITIAL - 1;
  basePsn = 0;
  nextPsn = 0;
  inflightBytes = 0;
  #pending: SrdMessage[] = [];
  #pendingHead = 0;
  #retx: TxEntry[] = [];
  #retxHead = 0;
  readonly #fifoEntries: TxEntry[][];
  readonly #fifoSeqs: number[][];
  readonly #fifoHead: Int32Array;
  #nextSendPs = 0;
  /** Time of the pending pacing wake-up, or -1. */
  wakeAtPs = -1;
  #pumping = false;
  #pumpAgain = false;

  constructor(shared: SenderShared, dst: HostId) {
    this.#s = shared;
    this.dst = dst;
    const p = shared.entropyValues;
    // Start each context's round-robin elsewhere so contexts of one host do not move in lockstep.
    this.paths = new PathSet(p, (dst * 7 + shared.host * 13) % p);
    this.cc = new Congestion(shared.fabric.config.linkGbps, shared.mtuBytes + shared.dataOverheadBytes, shared.baseRttGuessPs, shared.congestionControl);
    this.cc.start(shared.fabric.now);
    this.#fifoEntries = Array.from({ length: p }, () => []);
    this.#fifoSeqs = Array.from({ length: p }, () => []);
    this.#fifoHead = new Int32Array(p);
  }

  post(msg: SrdMessage): void {
    this.#pending.push(msg);
    this.pump();
  }

  /** Sends what pacing, the in-flight cap and the PSN window allow: retransmissions first. */
  pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        this.#pumpOnce();
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  #pumpOnce(): void {
    const fabric = this.#s.fabric;
    for (;;) {
      const now = fabric.now;
      if (now < this.#nextSendPs) {
        this.#wake(Math.ceil(this.#nextSendPs));
        return;
      }
      const retx = this.#nextRetx();
      if (retx !== undefined) {
        if (this.inflightBytes > 0 && this.inflightBytes + retx.wire > this.cc.inflightCap) return;
        const reroute = this.#s.rerouteOnRetransmit && this.#s.entropyValues > 1;
        this.#transmit(retx, reroute ? retx.ev : -1);
        continue;
      }
      const msg = this.#nextMessage();
      if (msg === undefined) {
        this.cc.onAppLimited();
        return;
      }
      if (this.nextPsn - this.basePsn >= PSN_WINDOW) {
        this.#s.counters.windowStalls++;
        return;
      }
      const length = Math.min(this.#s.mtuBytes, msg.bytes - msg.nextOffset);
      const wire = length + this.#s.dataOverheadBytes;
      if (this.inflightBytes > 0 && this.inflightBytes + wire > this.cc.inflightCap) return;
      const entry: TxEntry = {
        psn: this.nextPsn++,
        msg,
        offset: msg.nextOffset,
        length,
        wire,
        ev: -1,
        pathSeq: 0,
        sentPs: 0,
        txCount: 0,
        timeouts: 0,
        acked: false,
        inFlight: false,
        deliveredAtSend: 0,
        deliveredPsAtSend: 0,
      };
      msg.nextOffset += length;
      msg.packetsMade++;
      this.#insert(entry);
      this.#transmit(entry, -1);
    }
  }

  #transmit(entry: TxEntry, avoid: number): void {
    const s = this.#s;
    const now = s.fabric.now;
    const ev = this.paths.pick(now, avoid);
    const pathSeq = this.paths.nextPathSeq[ev]!;
    this.paths.nextPathSeq[ev] = pathSeq + 1;
    entry.ev = ev;
    entry.pathSeq = pathSeq;
    entry.sentPs = now;
    entry.txCount++;
    entry.inFlight = true;
    this.cc.onSent(entry, this.inflightBytes, now);
    this.inflightBytes += entry.wire;
    this.#nextSendPs = Math.max(this.#nextSendPs, now) + entry.wire / this.cc.pacingRate();
    this.#fifoEntries[ev]!.push(entry);
    this.#fifoSeqs[ev]!.push(pathSeq);
    const header: SrdDataHeader = {
      t: 'srd-data',
      psn: entry.psn,
      basePsn: this.basePsn,
      ev,
      pathSeq,
      txPs: now,
      msgId: entry.msg.id,
      offset: entry.offset,
      length: entry.length,
      msgBytes: entry.msg.bytes,
    };
    let packet: Packet = { src: s.host, dst: this.dst, entropy: ev, kind: 'data', wireBytes: entry.wire, header };
    const payload = entry.msg.payload;
    if (payload !== undefined) packet.payload = payload.subarray(entry.offset, entry.offset + entry.length);
    if (s.protector !== undefined) packet = s.protector.seal(packet);
    s.counters.dataPacketsSent++;
    if (entry.txCount > 1) s.counters.retransmissions++;
    s.fabric.send(packet);
    s.port.post(now + this.paths.rto(ev, entry.timeouts), s.rtoHandler, entry, entry.txCount);
  }

  onAck(h: SrdAckHeader): void {
    const s = this.#s;
    const now = s.fabric.now;
    const entry = this.#lookup(h.psn);
    const fresh = entry !== undefined && !entry.acked;
    const validEv = h.ev < this.paths.count;
    if (validEv && h.txPs <= now) {
      this.paths.sample(h.ev, now - h.txPs, now, h.txPs);
      this.cc.onRtt(now - h.txPs, now);
    }
    if (fresh) {
      this.cc.onDelivered(entry.wire, entry, now);
      this.#settle(entry, h.drop);
    }
    if (validEv && s.pathGapDetector) this.#detectGaps(h.ev, h.pathSeq);
    // Cumulative ACK repairs lost ACKs; bounded by the PSN window.
    const cumEnd = Math.min(h.cumPsn, this.nextPsn);
    for (let psn = this.basePsn; psn < cumEnd; psn++) {
      const e = this.#lookup(psn);
      if (e !== undefined && !e.acked) {
        this.cc.onDelivered(e.wire, e, now);
        this.#settle(e, DROP_OK);
      }
    }
    this.#advanceBase();
    if (this.cc.maybeUpdate(this.paths, now)) s.counters.rateCuts++;
    this.pump();
  }

  onTimeout(entry: TxEntry, txCount: number): void {
    if (entry.acked || !entry.inFlight || entry.txCount !== txCount || entry.msg.done) return;
    const s = this.#s;
    const now = s.fabric.now;
    entry.timeouts++;
    s.counters.timeouts++;
    entry.inFlight = false;
    this.inflightBytes -= entry.wire;
    this.cc.onLost(entry.wire);
    if (this.paths.timeout(entry.ev, now - entry.sentPs, now)) s.counters.pathsQuarantined++;
    if (entry.timeouts >= TIMEOUTS_PER_PSN_MAX) {
      s.counters.remoteUnresponsive++;
      this.#fail(entry.msg, 'REMOTE_UNRESPONSIVE');
    } else {
      this.#retx.push(entry);
    }
    this.pump();
  }

  /** Per-path FIFO gap (research §5.3): an ACK for pathSeq k on an EV means every earlier one on it is lost. */
  #detectGaps(ev: number, k: number): void {
    const entries = this.#fifoEntries[ev]!;
    const seqs = this.#fifoSeqs[ev]!;
    let head = this.#fifoHead[ev]!;
    const now = this.#s.fabric.now;
    while (head < seqs.length) {
      const seq = seqs[head]!;
      if (seq > k) break;
      const entry = entries[head]!;
      head++;
      if (seq === k) continue;
      if (!entry.acked && entry.inFlight && entry.ev === ev && entry.pathSeq === seq && !entry.msg.done) {
        entry.inFlight = false;
        this.inflightBytes -= entry.wire;
        this.#retx.push(entry);
        this.cc.onLost(entry.wire);
        this.#s.counters.gapLosses++;
        this.paths.gapLoss(ev, now);
      }
    }
    if (head >= COMPACT_AT && head * 2 >= seqs.length) {
      entries.splice(0, head);
      seqs.splice(0, head);
      head = 0;
    }
    this.#fifoHead[ev] = head;
  }

  #settle(entry: TxEntry, drop: number): void {
    entry.acked = true;
    if (entry.inFlight) {
      entry.inFlight = false;
      this.inflightBytes -= entry.wire;
    }
    this.#ring[entry.psn & this.#mask] = undefined;
    const msg = entry.msg;
    if (msg.done) return;
    if (drop !== DROP_OK) {
      this.#fail(msg, DROP_CODE_NAMES[drop] ?? 'DROPPED');
      return;
    }
    msg.packetsAcked++;
    this.#s.counters.bytesAcked += entry.length;
    if (msg.packetsAcked === msg.packetsTotal) {
      msg.done = true;
      this.#s.counters.messagesCompleted++;
      msg.onComplete({ id: msg.id, ok: true, postedPs: msg.postedPs, completedPs: this.#s.fabric.now });
    }
  }

  /** Completes a work request with an error and settles its PSNs (the receiver learns through `basePsn`). */
  #fail(msg: SrdMessage, code: string): void {
    if (msg.done) return;
    msg.done = true;
    for (let psn = this.basePsn; psn < this.nextPsn; psn++) {
      const e = this.#lookup(psn);
      if (e === undefined || e.msg !== msg) continue;
      e.acked = true;
      if (e.inFlight) {
        e.inFlight = false;
        this.inflightBytes -= e.wire;
      }
      this.#ring[psn & this.#mask] = undefined;
    }
    this.#advanceBase();
    this.#s.counters.messagesFailed++;
    msg.onComplete({ id: msg.id, ok: false, code, postedPs: msg.postedPs, completedPs: this.#s.fabric.now });
  }

  #nextRetx(): TxEntry | undefined {
    while (this.#retxHead < this.#retx.length) {
      const e = this.#retx[this.#retxHead]!;
      if (!e.acked && !e.inFlight && !e.msg.done) return e;
      this.#retxHead++;
    }
    if (this.#retxHead > 0) {
      this.#retx = [];
      this.#retxHead = 0;
    }
    return undefined;
  }

  #nextMessage(): SrdMessage | undefined {
    while (this.#pendingHead < this.#pending.length) {
      const msg = this.#pending[this.#pendingHead]!;
      if (!msg.done && msg.packetsMade < msg.packetsTotal) return msg;
      this.#pendingHead++;
      if (this.#pendingHead >= COMPACT_AT && this.#pendingHead * 2 >= this.#pending.length) {
        this.#pending.splice(0, this.#pendingHead);
        this.#pendingHead = 0;
      }
    }
    return undefined;
  }

  #lookup(psn: number): TxEntry | undefined {
    if (psn < this.basePsn || psn >= this.nextPsn) return undefined;
    const e = this.#ring[psn & this.#mask];
    return e !== undefined && e.psn === psn ? e : undefined;
  }

  #insert(entry: TxEntry): void {
    if (this.nextPsn - this.basePsn > this.#ring.length) this.#grow();
    assert(this.#ring[entry.psn & this.#mask] === undefined, 'SRD ring slot still taken');
    this.#ring[entry.psn & this.#mask] = entry;
  }

  #grow(): void {
    const old = this.#ring;
    const oldMask = this.#mask;
    const size = old.length * 2;
    assert(size <= PSN_WINDOW, 'SRD ring beyond the PSN window');
    this.#ring = new Array<TxEntry | undefined>(size).fill(undefined);
    this.#mask = size - 1;
    for (let psn = this.basePsn; psn < this.nextPsn - 1; psn++) {
      const e = old[psn & oldMask];
      if (e !== undefined && e.psn === psn) this.#ring[psn & this.#mask] = e;
    }
  }

  #advanceBase(): void {
    while (this.basePsn < this.nextPsn && this.#ring[this.basePsn & this.#mask] === undefined) this.basePsn++;
  }

  #wake(atPs: number): void {
    if (this.wakeAtPs >= 0 && this.wakeAtPs <= atPs) return;
    this.wakeAtPs = atPs;
    this.#s.port.post(atPs, this.#s.wakeHandler, this, atPs);
  }
}

export type { TxEntry };
