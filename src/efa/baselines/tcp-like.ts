// TCP-like single-path baseline (research/efa-srd.md §5.5.1): one ECMP entropy per connection for its whole life,
// in-order delivery, NewReno congestion control (the fabric has no ECN, so DCTCP's marking signal does not exist
// here and the window reacts to loss only), 3 duplicate ACKs → fast retransmit, an RTO floored at RTO_min, and
// every retransmission on the same path: a flow pinned to a black hole recovers only when routing converges.
import type { DeliveredSegment, Fabric, HostId, Packet, PacketProtector, Transport } from '../contracts.ts';
import { BaselineNic, LazyTimer, type PacedSource } from './nic.ts';
import { completeWithError, refusalOf, type PostedMessage } from './post.ts';
import { InOrderReceiver, SendStream, isAckHeader, isDataHeader, type StreamAckHeader, type StreamDataHeader } from './stream.ts';

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

class TcpSender implements PacedSource {
  readonly stream: SendStream;
  readonly #timer: LazyTimer;
  /** Oldest unacknowledged, next to send, one past the highest ever sent. */
  #una = 0;
  #nxt = 0;
  #max = 0;
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
    private readonly nic: BaselineNic,
    private readonly dst: HostId,
    /** The one ECMP entropy value of this connection (a TCP 5-tuple hashes to one path). */
    readonly entropy: number,
    private readonly rtoMinPs: number,
    private readonly counters: TcpCounters,
  ) {
    this.stream = new SendStream(nic.fabric.config.mtuPayloadBytes);
    this.#timer = new LazyTimer(nic.fabric, () => this.#onTimeout());
  }

  post(message: PostedMessage): void {
    this.stream.enqueue({ id: message.id, bytes: message.bytes, payload: message.payload, postedPs: this.nic.fabric.now, onComplete: message.onComplete });
    this.nic.kick();
  }

  nextPacket(): Packet | null {
    if (this.#retransmitSeq !== null) {
      const seq = this.#retransmitSeq;
      this.#retransmitSeq = null;
      if (seq >= this.#una) return this.#packet(seq);
    }
    if (this.#nxt >= this.stream.endSeq || this.#nxt - this.#una >= Math.floor(this.#cwnd)) return null;
    const seq = this.#nxt++;
    return this.#packet(seq);
  }

  onAck(ack: StreamAckHeader): void {
    const now = this.nic.fabric.now;
    if (ack.ack > this.#max) return; // acknowledges data never sent: ignore rather than trust it
    if (ack.ack > this.#una) {
      const newly = ack.ack - this.#una;
      this.#sampleRtt(now - ack.echoPs);
      this.#una = ack.ack;
      if (this.#nxt < this.#una) this.#nxt = this.#una;
      this.#dupAcks = 0;
      this.#backoff = 1;
      this.#timeoutsInRow = 0;
      if (this.#recovery) {
        if (this.#una >= this.#recover) {
          this.#recovery = false;
          this.#cwnd = this.#ssthresh;
        } else {
          // Partial ACK: the next hole is lost too; resend it and deflate by what left the network.
          this.#retransmitSeq = this.#una;
          this.#cwnd = Math.max(1, this.#cwnd - newly + 1);
        }
      } else if (this.#cwnd < this.#ssthresh) {
        this.#cwnd = Math.min(CWND_PACKETS_MAX, this.#cwnd + newly);
      } else {
        this.#cwnd = Math.min(CWND_PACKETS_MAX, this.#cwnd + newly / this.#cwnd);
      }
      for (const m of this.stream.acknowledge(this.#una)) {
        this.counters.bytesAcked += m.bytes;
        this.counters.messagesCompleted++;
        m.onComplete({ id: m.id, ok: true, postedPs: m.postedPs, completedPs: now });
      }
      if (this.#una < this.#max) this.#timer.arm(now + this.#rtoPs());
      else this.#timer.disarm();
    } else if (ack.ack === this.#una && this.#una < this.#max) {
      this.#dupAcks++;
      if (this.#dupAcks === DUP_ACK_THRESHOLD && !this.#recovery) {
        this.#ssthresh = Math.max(2, Math.floor((this.#max - this.#una) / 2));
        this.#cwnd = this.#ssthresh + DUP_ACK_THRESHOLD;
        this.#recovery = true;
        this.#recover = this.#max;
        this.#retransmitSeq = this.#una;
        this.counters.fastRetransmits++;
      } else if (this.#recovery) {
        this.#cwnd = Math.min(CWND_PACKETS_MAX, this.#cwnd + 1);
      }
    }
    this.nic.kick();
  }

  #packet(seq: number): Packet {
    const now = this.nic.fabric.now;
    const { message, offset, length } = this.stream.segment(seq);
    if (seq < this.#max) this.counters.retransmissions++;
    else this.#max = seq + 1;
    if (!this.#timer.armed) this.#timer.arm(now + this.#rtoPs());
    const header: StreamDataHeader = { proto: 'tcp', seq, messageId: message.id, offset, length, messageBytes: message.bytes, sentPs: now };
    const packet: Packet = { src: this.nic.host, dst: this.dst, entropy: this.entropy, kind: 'data', wireBytes: this.nic.dataWireBytes(length), header };
    if (message.payload !== undefined) packet.payload = message.payload.subarray(offset, offset + length);
    return packet;
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
  #rtoPs(): number {
    const base = this.#srttPs + Math.max(4 * this.#rttvarPs, this.rtoMinPs);
    return Math.min(RTO_MAX_PS, Math.round(base * this.#backoff));
  }

  #onTimeout(): void {
    if (this.#una >= this.#max) return;
    this.counters.timeouts++;
    this.#timeoutsInRow++;
    if (this.#timeoutsInRow > RTO_RETRIES_MAX) {
      this.#fail('REMOTE_UNRESPONSIVE');
      return;
    }
    this.#ssthresh = Math.max(2, Math.floor((this.#max - this.#una) / 2));
    this.#cwnd = 1;
    this.#recovery = false;
    this.#dupAcks = 0;
    // Without SACK the sender resends from the first hole; the receiver's held segments make the ACK jump.
    this.#nxt = this.#una;
    this.#retransmitSeq = null;
    this.#backoff = Math.min(this.#backoff * 2, 1 << 12);
    this.#timer.arm(this.nic.fabric.now + this.#rtoPs());
    this.nic.kick();
  }

  #fail(code: string): void {
    this.#timer.disarm();
    const now = this.nic.fabric.now;
    for (const m of this.stream.drain()) {
      this.counters.messagesFailed++;
      m.onComplete({ id: m.id, ok: false, code, postedPs: m.postedPs, completedPs: now });
    }
    this.#una = this.#nxt = this.#max = this.stream.endSeq;
  }
}

class TcpLikeTransport implements Transport {
  readonly kind: 'tcp' | 'tcp-1ms';
  readonly #nic: BaselineNic;
  readonly #senders = new Map<HostId, TcpSender>();
  readonly #receivers = new Map<HostId, InOrderReceiver>();
  readonly #handlers: Array<(segment: DeliveredSegment) => void> = [];
  readonly #random: { bytes(n: number): Uint8Array };
  readonly #counters: TcpCounters = { retransmissions: 0, timeouts: 0, fastRetransmits: 0, bytesAcked: 0, messagesCompleted: 0, messagesFailed: 0, segmentsDelivered: 0, duplicatesIgnored: 0 };

  constructor(
    private readonly fabric: Fabric,
    readonly host: HostId,
    private readonly rtoMinPs: number,
    protector: PacketProtector | undefined,
  ) {
    this.kind = rtoMinPs >= 100e9 ? 'tcp' : 'tcp-1ms';
    this.#random = fabric.random(`baselines/tcp/${host}`);
    this.#nic = new BaselineNic(fabric, host, protector, (packet) => this.#onPacket(packet));
  }

  post(message: PostedMessage): void {
    const sender = this.#senders.get(message.dst);
    const refusal = refusalOf(this.fabric, this.host, message, sender?.stream.pendingCount ?? 0);
    if (refusal !== null) {
      completeWithError(this.fabric, message, refusal);
      return;
    }
    this.#sender(message.dst).post(message);
  }

  onDeliver(handler: (segment: DeliveredSegment) => void): void {
    this.#handlers.push(handler);
  }

  stats(): Readonly<Record<string, number>> {
    return { ...this.#counters, ...this.#nic.counters };
  }

  /** The entropy a connection to `dst` uses (for experiments that aim a fault at a flow's path). */
  entropyTo(dst: HostId): number {
    return this.#sender(dst).entropy;
  }

  #sender(dst: HostId): TcpSender {
    let sender = this.#senders.get(dst);
    if (sender === undefined) {
      const b = this.#random.bytes(2);
      sender = new TcpSender(this.#nic, dst, (b[0]! << 8) | b[1]!, this.rtoMinPs, this.#counters);
      this.#senders.set(dst, sender);
      this.#nic.addSource(sender);
    }
    return sender;
  }

  #onPacket(packet: Packet): void {
    if (packet.kind === 'ack') {
      const sender = this.#senders.get(packet.src);
      if (sender === undefined || !isAckHeader(packet.header, 'tcp')) {
        this.#nic.noteMalformed();
        return;
      }
      sender.onAck(packet.header);
      return;
    }
    if (!isDataHeader(packet.header, 'tcp') || packet.src === this.host || (packet.payload !== undefined && packet.payload.length !== packet.header.length)) {
      this.#nic.noteMalformed();
      return;
    }
    const header = packet.header;
    let receiver = this.#receivers.get(packet.src);
    if (receiver === undefined) {
      receiver = new InOrderReceiver(packet.src, 1024);
      this.#receivers.set(packet.src, receiver);
    }
    const outcome = receiver.accept(header, packet.payload, this.fabric.now, (segment) => {
      this.#counters.segmentsDelivered++;
      for (const h of this.#handlers) h(segment);
    });
    if (outcome === 'duplicate') this.#counters.duplicatesIgnored++;
    const ack: StreamAckHeader = { proto: 'tcp', ack: receiver.expected, echoPs: header.sentPs, nak: false };
    // The ACK returns on the entropy the data came on: one path each way for the connection's life.
    this.#nic.sendControl({ src: this.host, dst: packet.src, entropy: packet.entropy, kind: 'ack', wireBytes: this.#nic.ackWireBytes, header: ack });
  }
}

export function createTcpLike(fabric: Fabric, host: HostId, rtoMinPs: number, protector: PacketProtector | undefined): Transport & { entropyTo(dst: HostId): number } {
  return new TcpLikeTransport(fabric, host, rtoMinPs, protector);
}
