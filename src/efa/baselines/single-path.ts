// The skeleton both single-path baselines share: a host's transport is one NIC, one sender per destination (each
// with a single ECMP entropy drawn once, so a connection keeps its path for life), one in-order receiver per source,
// typed refusals at `post`, and ACKs back on the entropy the data came on. The subclasses bring the congestion and
// loss-recovery logic: the sender and what a receiver does with a data packet.
import type { DeliveredSegment, Fabric, HostId, Packet, PacketProtector, Transport } from '../contracts.ts';
import { BaselineNic, type PacedSource } from './nic.ts';
import { completeWithError, refusalOf, type PostedMessage } from './post.ts';
import { isAckHeader, isDataHeader, type SendStream, type StreamAckHeader, type StreamDataHeader } from './stream.ts';

export type StreamProto = StreamDataHeader['proto'];

/** One connection's sender as the skeleton drives it. */
export interface StreamSender extends PacedSource {
  readonly stream: SendStream;
  /** The one ECMP entropy value of this connection (a TCP 5-tuple hashes to one path). */
  readonly entropy: number;
  post(message: PostedMessage): void;
  onAck(ack: StreamAckHeader): void;
}

/** Counters every baseline keeps; `stats()` lists a subclass's own counters first, then the NIC's. */
export interface StreamCounters {
  segmentsDelivered: number;
}

export abstract class SinglePathBase<S extends StreamSender, R, C extends StreamCounters & Record<keyof C, number>> implements Transport {
  abstract readonly kind: 'tcp' | 'tcp-1ms' | 'gbn';
  protected readonly nic: BaselineNic;
  readonly #senders = new Map<HostId, S>();
  readonly #receivers = new Map<HostId, R>();
  readonly #handlers: Array<(segment: DeliveredSegment) => void> = [];
  readonly #random: { bytes(n: number): Uint8Array };

  protected constructor(
    protected readonly fabric: Fabric,
    readonly host: HostId,
    /** The header tag this transport writes and accepts; also names its random stream. */
    protected readonly proto: StreamProto,
    protected readonly counters: C,
    protector: PacketProtector | undefined,
  ) {
    this.#random = fabric.random(`baselines/${proto}/${host}`);
    this.nic = new BaselineNic(fabric, host, protector, (packet) => this.#onPacket(packet));
  }

  /** A new connection's sender towards `dst`, on the path `entropy` hashes to. */
  protected abstract newSender(dst: HostId, entropy: number): S;
  /** The receiving state for a new connection from `src`. */
  protected abstract newReceiver(src: HostId): R;
  /**
   * Takes a well-formed data packet from the connection `receiver` belongs to (handing in-order segments to
   * `deliver`) and returns the ACK to send back, or null to stay silent.
   */
  protected abstract receive(receiver: R, header: StreamDataHeader, payload: Uint8Array | undefined): StreamAckHeader | null;

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
    return { ...this.counters, ...this.nic.counters };
  }

  /** The entropy a connection to `dst` uses (for experiments that aim a fault at a flow's path). */
  entropyTo(dst: HostId): number {
    return this.#sender(dst).entropy;
  }

  /** Hands one in-order segment to the application. */
  protected readonly deliver = (segment: DeliveredSegment): void => {
    this.counters.segmentsDelivered++;
    for (const h of this.#handlers) h(segment);
  };

  #sender(dst: HostId): S {
    let sender = this.#senders.get(dst);
    if (sender === undefined) {
      const b = this.#random.bytes(2);
      sender = this.newSender(dst, (b[0]! << 8) | b[1]!);
      this.#senders.set(dst, sender);
      this.nic.addSource(sender);
    }
    return sender;
  }

  #onPacket(packet: Packet): void {
    if (packet.kind === 'ack') {
      const sender = this.#senders.get(packet.src);
      if (sender === undefined || !isAckHeader(packet.header, this.proto)) {
        this.nic.noteMalformed();
        return;
      }
      sender.onAck(packet.header);
      return;
    }
    if (!isDataHeader(packet.header, this.proto) || packet.src === this.host || (packet.payload !== undefined && packet.payload.length !== packet.header.length)) {
      this.nic.noteMalformed();
      return;
    }
    let receiver = this.#receivers.get(packet.src);
    if (receiver === undefined) {
      receiver = this.newReceiver(packet.src);
      this.#receivers.set(packet.src, receiver);
    }
    const ack = this.receive(receiver, packet.header, packet.payload);
    if (ack === null) return;
    // The ACK returns on the entropy the data came on: one path each way for the connection's life.
    this.nic.sendControl({ src: this.host, dst: packet.src, entropy: packet.entropy, kind: 'ack', wireBytes: this.nic.ackWireBytes, header: ack });
  }
}
