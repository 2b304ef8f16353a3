import type { Fabric, HostId, Packet, PacketProtector } from '../contracts.ts';
import { Congestion } from './congestion.ts';
import { TIMEOUTS_PER_PSN_MAX } from './constants.ts';
import type { EventPort } from './events.ts';
import { DROP_CODE_NAMES, DROP_OK, type SrdAckHeader, type SrdDataHeader } from './header.ts';
import { PathSet } from './paths.ts';
import type { SrdCounters } from './stats.ts';
import { Fifo, PathFifos, PsnRing, type SrdMessage, type TxEntry } from './tx-state.ts';

export type { SrdMessage, TxEntry };

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
  /**
   * Bytes the protector's seal adds to every packet (0 without one). A transmission's `wire` counts them: pacing and
   * the in-flight cap must see what the link carries, or an encrypting sender paced at line rate overdrives its own
   * link by 32 B a packet (0.4%) and builds a queue at the NIC that the plaintext run does not have.
   */
  readonly sealBytes: number;
  readonly baseRttGuessPs: number;
}


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
  readonly #ring = new PsnRing();
  inflightBytes = 0;
  readonly #pending = new Fifo<SrdMessage>();
  readonly #retx = new Fifo<TxEntry>();
  readonly #fifos: PathFifos;
  /** Reused buffer for the gap detector's verdicts. */
  readonly #lost: TxEntry[] = [];
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
    this.cc = new Congestion(shared.fabric.config.linkGbps, shared.mtuBytes + shared.dataOverheadBytes + shared.sealBytes, shared.baseRttGuessPs, shared.congestionControl);
    this.cc.start(shared.fabric.now);
    this.#fifos = new PathFifos(p);
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
      const retx = this.#retx.first(retxLive);
      if (retx !== undefined) {
        if (this.inflightBytes > 0 && this.inflightBytes + retx.wire > this.cc.inflightCap) return;
        // Reroute-on-retransmit: any EV but the one that lost it. The ablation resends on the same EV (same path).
        if (this.#s.rerouteOnRetransmit) this.#transmit(retx, this.paths.pick(now, retx.ev));
        else this.#transmit(retx, retx.ev);
        continue;
      }
      const msg = this.#pending.first(messageLive);
      if (msg === undefined) {
        this.cc.onAppLimited();
        return;
      }
      if (this.#ring.full) {
        this.#s.counters.windowStalls++;
        return;
      }
      const length = Math.min(this.#s.mtuBytes, msg.bytes - msg.nextOffset);
      const wire = length + this.#s.dataOverheadBytes + this.#s.sealBytes;
      if (this.inflightBytes > 0 && this.inflightBytes + wire > this.cc.inflightCap) return;
      const entry: TxEntry = {
        psn: this.#ring.nextPsn,
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
        charged: false,
        deliveredAtSend: 0,
        deliveredPsAtSend: 0,
      };
      msg.nextOffset += length;
      msg.packetsMade++;
      this.#ring.insert(entry);
      this.#transmit(entry, this.paths.pick(now, -1));
    }
  }

  #transmit(entry: TxEntry, ev: number): void {
    const s = this.#s;
    const now = s.fabric.now;
    const pathSeq = this.paths.nextPathSeq[ev]!;
    this.paths.nextPathSeq[ev] = pathSeq + 1;
    entry.ev = ev;
    entry.pathSeq = pathSeq;
    entry.sentPs = now;
    entry.txCount++;
    entry.inFlight = true;
    this.cc.onSent(entry, this.inflightBytes, now);
    entry.charged = true;
    this.inflightBytes += entry.wire;
    this.#nextSendPs = Math.max(this.#nextSendPs, now) + entry.wire / this.cc.pacingRate();
    this.#fifos.push(ev, entry, pathSeq);
    const header: SrdDataHeader = {
      t: 'srd-data',
      psn: entry.psn,
      basePsn: this.#ring.basePsn,
      ev,
      pathSeq,
      txPs: now,
      msgId: entry.msg.id,
      offset: entry.offset,
      length: entry.length,
      msgBytes: entry.msg.bytes,
    };
    let packet: Packet = { src: s.host, dst: this.dst, entropy: ev, kind: 'data', wireBytes: entry.wire - s.sealBytes, header };
    const payload = entry.msg.payload;
    if (payload !== undefined) packet.payload = payload.subarray(entry.offset, entry.offset + entry.length);
    if (s.protector !== undefined) packet = s.protector.seal(packet);
    s.counters.dataPacketsSent++;
    if (entry.txCount > 1) s.counters.retransmissions++;
    s.fabric.send(packet);
    s.port.post(now + this.paths.rto(ev, entry.timeouts), s.rtoHandler, entry, entry.txCount);
    // A backed-off retransmission stops counting against the in-flight cap after one plain RTO: the back-off spares
    // a dead path or peer, it must not hold the connection. With a one-packet cap (a 64-sender incast) a lost
    // retransmission otherwise stalls its sender for the whole back-off (milliseconds: starvation, not fairness).
    if (entry.timeouts > 0) s.port.post(now + this.paths.rto(ev, 0), s.rtoHandler, entry, -entry.txCount);
  }

  onAck(h: SrdAckHeader): void {
    const s = this.#s;
    const now = s.fabric.now;
    const entry = this.#ring.lookup(h.psn);
    const fresh = entry !== undefined && !entry.acked;
    const validEv = h.ev < this.paths.count;
    if (validEv && h.txPs <= now) {
      this.paths.sample(h.ev, now - h.txPs, now, h.txPs);
      this.cc.onRtt(now - h.txPs, h.txPs, now);
    }
    if (fresh) {
      this.cc.onDelivered(entry.wire, entry, now);
      this.#settle(entry, h.drop);
    }
    if (validEv && s.pathGapDetector) this.#detectGaps(h.ev, h.pathSeq);
    // Cumulative ACK repairs lost ACKs; bounded by the PSN window.
    const cumEnd = Math.min(h.cumPsn, this.#ring.nextPsn);
    for (let psn = this.#ring.basePsn; psn < cumEnd; psn++) {
      const e = this.#ring.lookup(psn);
      if (e !== undefined && !e.acked) {
        this.cc.onDelivered(e.wire, e, now);
        this.#settle(e, DROP_OK);
      }
    }
    this.#ring.advanceBase();
    if (this.cc.maybeUpdate(this.paths, now)) s.counters.rateCuts++;
    this.pump();
  }

  /** The RTO of transmission `txCount` of `entry`; a negative count is the cap release of a backed-off one. */
  onTimeout(entry: TxEntry, txCount: number): void {
    if (entry.acked || !entry.inFlight || entry.msg.done) return;
    if (txCount < 0) {
      if (entry.txCount === -txCount && entry.charged) {
        this.#uncharge(entry);
        this.pump();
      }
      return;
    }
    if (entry.txCount !== txCount) return;
    const s = this.#s;
    const now = s.fabric.now;
    entry.timeouts++;
    s.counters.timeouts++;
    entry.inFlight = false;
    this.#uncharge(entry);
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
    const lost = this.#lost;
    this.#fifos.popThrough(ev, k, lost);
    const now = this.#s.fabric.now;
    for (const entry of lost) {
      entry.inFlight = false;
      this.#uncharge(entry);
      this.#retx.push(entry);
      this.cc.onLost(entry.wire);
      this.#s.counters.gapLosses++;
      this.paths.gapLoss(ev, now);
    }
    lost.length = 0;
  }

  #settle(entry: TxEntry, drop: number): void {
    entry.acked = true;
    entry.inFlight = false;
    this.#uncharge(entry);
    this.#ring.remove(entry.psn);
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
    for (let psn = this.#ring.basePsn; psn < this.#ring.nextPsn; psn++) {
      const e = this.#ring.lookup(psn);
      if (e === undefined || e.msg !== msg) continue;
      e.acked = true;
      e.inFlight = false;
      this.#uncharge(e);
      this.#ring.remove(psn);
    }
    this.#ring.advanceBase();
    this.#s.counters.messagesFailed++;
    msg.onComplete({ id: msg.id, ok: false, code, postedPs: msg.postedPs, completedPs: this.#s.fabric.now });
  }

  #uncharge(entry: TxEntry): void {
    if (!entry.charged) return;
    entry.charged = false;
    this.inflightBytes -= entry.wire;
  }

  #wake(atPs: number): void {
    if (this.wakeAtPs >= 0 && this.wakeAtPs <= atPs) return;
    this.wakeAtPs = atPs;
    this.#s.port.post(atPs, this.#s.wakeHandler, this, atPs);
  }
}


const retxLive = (e: TxEntry) => !e.acked && !e.inFlight && !e.msg.done;
const messageLive = (m: SrdMessage) => !m.done && m.packetsMade < m.packetsTotal;
