// RoCE-like baseline (research/efa-srd.md §5.5.2): a static single path, the NIC sends at line rate with a bounded
// number of packets outstanding, no congestion control (DCQCN is optional in the research and left out), and
// go-back-N on a lossy fabric (no PFC): the receiver drops everything after a gap and NAKs once, and the sender
// resends from the hole. Loss costs a whole window, which is the point of the comparison.
import type { DeliveredSegment, Fabric, HostId, Packet, PacketProtector, Transport } from '../contracts.ts';
import { BaselineNic, LazyTimer, type PacedSource } from './nic.ts';
import { completeWithError, refusalOf, type PostedMessage } from './post.ts';
import { InOrderReceiver, SendStream, isAckHeader, isDataHeader, type StreamAckHeader, type StreamDataHeader } from './stream.ts';

/** Outstanding packets per QP: about 2.5 BDP at 100 Gb/s and 16 µs, so the window never throttles line rate. */
export const GBN_WINDOW_PACKETS = 64;
/** The RC local ACK timeout, 4.096 µs · 2^8 ≈ 1.05 ms (IB spec encoding; timeout = 8). */
export const GBN_TIMEOUT_PS = 4_096_000 * 256;
/** IB retry_cnt is 3 bits: 7 retries, then the QP errors out. */
const GBN_RETRIES_MAX = 7;

export interface GbnCounters {
  retransmissions: number;
  timeouts: number;
  naksSent: number;
  naksReceived: number;
  bytesAcked: number;
  messagesCompleted: number;
  messagesFailed: number;
  segmentsDelivered: number;
  outOfOrderDropped: number;
}

class GbnSender implements PacedSource {
  readonly stream: SendStream;
  readonly #timer: LazyTimer;
  #una = 0;
  #nxt = 0;
  #max = 0;
  #retries = 0;

  constructor(
    private readonly nic: BaselineNic,
    private readonly dst: HostId,
    readonly entropy: number,
    private readonly counters: GbnCounters,
  ) {
    this.stream = new SendStream(nic.fabric.config.mtuPayloadBytes);
    this.#timer = new LazyTimer(nic.fabric, () => this.#onTimeout());
  }

  post(message: PostedMessage): void {
    this.stream.enqueue({ id: message.id, bytes: message.bytes, payload: message.payload, postedPs: this.nic.fabric.now, onComplete: message.onComplete });
    this.nic.kick();
  }

  nextPacket(): Packet | null {
    if (this.#nxt >= this.stream.endSeq || this.#nxt - this.#una >= GBN_WINDOW_PACKETS) return null;
    const seq = this.#nxt++;
    const now = this.nic.fabric.now;
    const { message, offset, length } = this.stream.segment(seq);
    if (seq < this.#max) this.counters.retransmissions++;
    else this.#max = seq + 1;
    if (!this.#timer.armed) this.#timer.arm(now + GBN_TIMEOUT_PS);
    const header: StreamDataHeader = { proto: 'gbn', seq, messageId: message.id, offset, length, messageBytes: message.bytes, sentPs: now };
    const packet: Packet = { src: this.nic.host, dst: this.dst, entropy: this.entropy, kind: 'data', wireBytes: this.nic.dataWireBytes(length), header };
    if (message.payload !== undefined) packet.payload = message.payload.subarray(offset, offset + length);
    return packet;
  }

  onAck(ack: StreamAckHeader): void {
    const now = this.nic.fabric.now;
    if (ack.ack > this.#max) return;
    if (ack.nak) this.counters.naksReceived++;
    if (ack.ack > this.#una) {
      this.#una = ack.ack;
      this.#retries = 0;
      for (const m of this.stream.acknowledge(this.#una)) {
        this.counters.bytesAcked += m.bytes;
        this.counters.messagesCompleted++;
        m.onComplete({ id: m.id, ok: true, postedPs: m.postedPs, completedPs: now });
      }
      if (this.#una < this.#max) this.#timer.arm(now + GBN_TIMEOUT_PS);
      else this.#timer.disarm();
    }
    if (this.#nxt < this.#una) this.#nxt = this.#una;
    // A NAK names the first missing packet: everything from there is resent, in order, on the same path.
    if (ack.nak && ack.ack === this.#una) this.#nxt = this.#una;
    this.nic.kick();
  }

  #onTimeout(): void {
    if (this.#una >= this.#max) return;
    this.counters.timeouts++;
    if (++this.#retries > GBN_RETRIES_MAX) {
      this.#timer.disarm();
      const now = this.nic.fabric.now;
      for (const m of this.stream.drain()) {
        this.counters.messagesFailed++;
        m.onComplete({ id: m.id, ok: false, code: 'RETRY_EXCEEDED', postedPs: m.postedPs, completedPs: now });
      }
      this.#una = this.#nxt = this.#max = this.stream.endSeq;
      return;
    }
    this.#nxt = this.#una;
    this.#timer.arm(this.nic.fabric.now + GBN_TIMEOUT_PS);
    this.nic.kick();
  }
}

class GbnReceiver {
  readonly inOrder: InOrderReceiver;
  /** One NAK per gap: RoCE NAKs the first out-of-sequence packet and then stays silent until the hole fills. */
  nakedAt = -1;

  constructor(src: HostId) {
    // Window 0: nothing is held, a packet after a gap is dropped.
    this.inOrder = new InOrderReceiver(src, 0);
  }
}

class GbnTransport implements Transport {
  readonly kind = 'gbn' as const;
  readonly #nic: BaselineNic;
  readonly #senders = new Map<HostId, GbnSender>();
  readonly #receivers = new Map<HostId, GbnReceiver>();
  readonly #handlers: Array<(segment: DeliveredSegment) => void> = [];
  readonly #random: { bytes(n: number): Uint8Array };
  readonly #counters: GbnCounters = { retransmissions: 0, timeouts: 0, naksSent: 0, naksReceived: 0, bytesAcked: 0, messagesCompleted: 0, messagesFailed: 0, segmentsDelivered: 0, outOfOrderDropped: 0 };

  constructor(
    private readonly fabric: Fabric,
    readonly host: HostId,
    protector: PacketProtector | undefined,
  ) {
    this.#random = fabric.random(`baselines/gbn/${host}`);
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

  entropyTo(dst: HostId): number {
    return this.#sender(dst).entropy;
  }

  #sender(dst: HostId): GbnSender {
    let sender = this.#senders.get(dst);
    if (sender === undefined) {
      const b = this.#random.bytes(2);
      sender = new GbnSender(this.#nic, dst, (b[0]! << 8) | b[1]!, this.#counters);
      this.#senders.set(dst, sender);
      this.#nic.addSource(sender);
    }
    return sender;
  }

  #onPacket(packet: Packet): void {
    if (packet.kind === 'ack') {
      const sender = this.#senders.get(packet.src);
      if (sender === undefined || !isAckHeader(packet.header, 'gbn')) {
        this.#nic.noteMalformed();
        return;
      }
      sender.onAck(packet.header);
      return;
    }
    if (!isDataHeader(packet.header, 'gbn') || packet.src === this.host || (packet.payload !== undefined && packet.payload.length !== packet.header.length)) {
      this.#nic.noteMalformed();
      return;
    }
    const header = packet.header;
    let receiver = this.#receivers.get(packet.src);
    if (receiver === undefined) {
      receiver = new GbnReceiver(packet.src);
      this.#receivers.set(packet.src, receiver);
    }
    const outcome = receiver.inOrder.accept(header, packet.payload, this.fabric.now, (segment) => {
      this.#counters.segmentsDelivered++;
      for (const h of this.#handlers) h(segment);
    });
    const expected = receiver.inOrder.expected;
    let nak = false;
    if (outcome === 'outside') {
      this.#counters.outOfOrderDropped++;
      if (receiver.nakedAt === expected) return;
      receiver.nakedAt = expected;
      nak = true;
      this.#counters.naksSent++;
    }
    const ack: StreamAckHeader = { proto: 'gbn', ack: expected, echoPs: header.sentPs, nak };
    this.#nic.sendControl({ src: this.host, dst: packet.src, entropy: packet.entropy, kind: 'ack', wireBytes: this.#nic.ackWireBytes, header: ack });
  }
}

export function createGbn(fabric: Fabric, host: HostId, protector: PacketProtector | undefined): Transport & { entropyTo(dst: HostId): number } {
  return new GbnTransport(fabric, host, protector);
}
