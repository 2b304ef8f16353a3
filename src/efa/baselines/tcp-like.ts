// TCP-like single-path baseline (research/efa-srd.md §5.5.1): one ECMP entropy per connection for its whole life,
// in-order delivery, NewReno congestion control (the fabric has no ECN, so DCTCP's marking signal does not exist
// here and the window reacts to loss only), 3 duplicate ACKs → fast retransmit, an RTO floored at RTO_min, and
// every retransmission on the same path: a flow pinned to a black hole recovers only when routing converges.
import type { Fabric, HostId, Packet, PacketProtector, Transport } from '../contracts.ts';
import type { BaselineNic } from './nic.ts';
import { SinglePathBase } from './single-path.ts';
import { StreamSenderBase } from './stream-sender.ts';
import { InOrderReceiver, type StreamAckHeader, type StreamDataHeader } from './stream.ts';

/** Linux IW10 (RFC 6928). */
const INITIAL_CWND_PACKETS = 10;
/** A receive window of 1024 MTU packets (8 MiB): the window never binds before loss does at these BDPs. */
const CWND_PACKETS_MAX = 1024;
const DUP_ACK_THRESHOLD = 3;
/** Linux caps the RTO at 120 s (TCP_RTO_MAX). */
const RTO_MAX_PS = 120e12;
/** Linux tcp_retries2: after 15 back-to-back timeouts the connection is abandoned. */
const RTO_RETRIES_MAX = 15;

export interface TcpCounters {
  retransmissions: number;
  timeouts: number;
  fastRetransmits: number;
  bytesAcked: number;
  messagesCompleted: number;
  messagesFailed: number;
  segmentsDelivered: number;
  duplicatesIgnored: number;
}

class TcpSender extends StreamSenderBase<TcpCounters> {
  #cwnd = INITIAL_CWND_PACKETS;
  #ssthresh = CWND_PACKETS_MAX;
  #dupAcks = 0;
  #recovery = false;
  /** NewReno: recovery ends when everything sent before it started is acknowledged. */
  #recover = 0;
  #retransmitSeq: number | null = null;
  #srttPs = 0;
  #rttvarPs = 0;
  #backoff = 1;
  #timeoutsInRow = 0;

  constructor(
    nic: BaselineNic,
    dst: HostId,
    entropy: number,
    private readonly rtoMinPs: number,
    counters: TcpCounters,
  ) {
    super(nic, dst, entropy, 'tcp', counters);
  }

  nextPacket(): Packet | null {
    if (this.#retransmitSeq !== null) {
      const seq = this.#retransmitSeq;
      this.#retransmitSeq = null;
      if (seq >= this.una) return this.packet(seq);
    }
    if (this.nxt >= this.stream.endSeq || this.nxt - this.una >= Math.floor(this.#cwnd)) return null;
    const seq = this.nxt++;
    return this.packet(seq);
  }

  onAck(ack: StreamAckHeader): void {
    const now = this.nic.fabric.now;
    if (ack.ack > this.max) return; // acknowledges data never sent: ignore rather than trust it
    if (ack.ack > this.una) {
      const newly = ack.ack - this.una;
      this.#sampleRtt(now - ack.echoPs);
      this.una = ack.ack;
      if (this.nxt < this.una) this.nxt = this.una;
      this.#dupAcks = 0;
      this.#backoff = 1;
      this.#timeoutsInRow = 0;
      if (this.#recovery) {
        if (this.una >= this.#recover) {
          this.#recovery = false;
          this.#cwnd = this.#ssthresh;
        } else {
          // Partial ACK: the next hole is lost too; resend it and deflate by what left the network.
          this.#retransmitSeq = this.una;
          this.#cwnd = Math.max(1, this.#cwnd - newly + 1);
        }
      } else if (this.#cwnd < this.#ssthresh) {
        this.#cwnd = Math.min(CWND_PACKETS_MAX, this.#cwnd + newly);
      } else {
        this.#cwnd = Math.min(CWND_PACKETS_MAX, this.#cwnd + newly / this.#cwnd);
      }
      this.completeAcked(now);
      if (this.una < this.max) this.timer.arm(now + this.timeoutPs());
      else this.timer.disarm();
    } else if (ack.ack === this.una && this.una < this.max) {
      this.#dupAcks++;
      if (this.#dupAcks === DUP_ACK_THRESHOLD && !this.#recovery) {
        this.#ssthresh = Math.max(2, Math.floor((this.max - this.una) / 2));
        this.#cwnd = this.#ssthresh + DUP_ACK_THRESHOLD;
        this.#recovery = true;
        this.#recover = this.max;
        this.#retransmitSeq = this.una;
        this.counters.fastRetransmits++;
      } else if (this.#recovery) {
        this.#cwnd = Math.min(CWND_PACKETS_MAX, this.#cwnd + 1);
      }
    }
    this.nic.kick();
  }

  #sampleRtt(rttPs: number): void {
    if (rttPs <= 0) return;
    if (this.#srttPs === 0) {
      this.#srttPs = rttPs;
      this.#rttvarPs = rttPs / 2;
    } else {
      this.#rttvarPs = 0.75 * this.#rttvarPs + 0.25 * Math.abs(this.#srttPs - rttPs);
      this.#srttPs = 0.875 * this.#srttPs + 0.125 * rttPs;
    }
  }

  /** Linux's form: srtt + max(4·rttvar, RTO_min), doubled per back-to-back timeout. */
  protected timeoutPs(): number {
    const base = this.#srttPs + Math.max(4 * this.#rttvarPs, this.rtoMinPs);
    return Math.min(RTO_MAX_PS, Math.round(base * this.#backoff));
  }

  protected onTimeout(): void {
    if (this.una >= this.max) return;
    this.counters.timeouts++;
    this.#timeoutsInRow++;
    if (this.#timeoutsInRow > RTO_RETRIES_MAX) {
      this.fail('REMOTE_UNRESPONSIVE');
      return;
    }
    this.#ssthresh = Math.max(2, Math.floor((this.max - this.una) / 2));
    this.#cwnd = 1;
    this.#recovery = false;
    this.#dupAcks = 0;
    // Without SACK the sender resends from the first hole; the receiver's held segments make the ACK jump.
    this.nxt = this.una;
    this.#retransmitSeq = null;
    this.#backoff = Math.min(this.#backoff * 2, 1 << 12);
    this.timer.arm(this.nic.fabric.now + this.timeoutPs());
    this.nic.kick();
  }
}

class TcpLikeTransport extends SinglePathBase<TcpSender, InOrderReceiver, TcpCounters> {
  readonly kind: 'tcp' | 'tcp-1ms';

  constructor(
    fabric: Fabric,
    host: HostId,
    private readonly rtoMinPs: number,
    protector: PacketProtector | undefined,
  ) {
    super(fabric, host, 'tcp', { retransmissions: 0, timeouts: 0, fastRetransmits: 0, bytesAcked: 0, messagesCompleted: 0, messagesFailed: 0, segmentsDelivered: 0, duplicatesIgnored: 0 }, protector);
    this.kind = rtoMinPs >= 100e9 ? 'tcp' : 'tcp-1ms';
  }

  protected newSender(dst: HostId, entropy: number): TcpSender {
    return new TcpSender(this.nic, dst, entropy, this.rtoMinPs, this.counters);
  }

  protected newReceiver(src: HostId): InOrderReceiver {
    return new InOrderReceiver(src, 1024);
  }

  protected receive(receiver: InOrderReceiver, header: StreamDataHeader, payload: Uint8Array | undefined): StreamAckHeader {
    const outcome = receiver.accept(header, payload, this.fabric.now, this.deliver);
    if (outcome === 'duplicate') this.counters.duplicatesIgnored++;
    return { proto: 'tcp', ack: receiver.expected, echoPs: header.sentPs, nak: false };
  }
}

export function createTcpLike(fabric: Fabric, host: HostId, rtoMinPs: number, protector: PacketProtector | undefined): Transport & { entropyTo(dst: HostId): number } {
  return new TcpLikeTransport(fabric, host, rtoMinPs, protector);
}
