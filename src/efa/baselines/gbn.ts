// RoCE-like baseline (research/efa-srd.md §5.5.2): a static single path, the NIC sends at line rate with a bounded
// number of packets outstanding, no congestion control (DCQCN is optional in the research and left out), and
// go-back-N on a lossy fabric (no PFC): the receiver drops everything after a gap and NAKs once, and the sender
// resends from the hole. Loss costs a whole window, which is the point of the comparison.
import type { Fabric, HostId, Packet, PacketProtector, Transport } from '../contracts.ts';
import type { BaselineNic } from './nic.ts';
import { SinglePathBase } from './single-path.ts';
import { StreamSenderBase } from './stream-sender.ts';
import { InOrderReceiver, type StreamAckHeader, type StreamDataHeader } from './stream.ts';

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

class GbnSender extends StreamSenderBase<GbnCounters> {
  #retries = 0;

  constructor(nic: BaselineNic, dst: HostId, entropy: number, counters: GbnCounters) {
    super(nic, dst, entropy, 'gbn', counters);
  }

  nextPacket(): Packet | null {
    if (this.nxt >= this.stream.endSeq || this.nxt - this.una >= GBN_WINDOW_PACKETS) return null;
    const seq = this.nxt++;
    return this.packet(seq);
  }

  onAck(ack: StreamAckHeader): void {
    const now = this.nic.fabric.now;
    if (ack.ack > this.max) return;
    if (ack.nak) this.counters.naksReceived++;
    if (ack.ack > this.una) {
      this.una = ack.ack;
      this.#retries = 0;
      this.completeAcked(now);
      if (this.una < this.max) this.timer.arm(now + GBN_TIMEOUT_PS);
      else this.timer.disarm();
    }
    if (this.nxt < this.una) this.nxt = this.una;
    // A NAK names the first missing packet: everything from there is resent, in order, on the same path.
    if (ack.nak && ack.ack === this.una) this.nxt = this.una;
    this.nic.kick();
  }

  protected timeoutPs(): number {
    return GBN_TIMEOUT_PS;
  }

  protected onTimeout(): void {
    if (this.una >= this.max) return;
    this.counters.timeouts++;
    if (++this.#retries > GBN_RETRIES_MAX) {
      this.fail('RETRY_EXCEEDED');
      return;
    }
    this.nxt = this.una;
    this.timer.arm(this.nic.fabric.now + GBN_TIMEOUT_PS);
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

class GbnTransport extends SinglePathBase<GbnSender, GbnReceiver, GbnCounters> {
  readonly kind = 'gbn' as const;

  constructor(fabric: Fabric, host: HostId, protector: PacketProtector | undefined) {
    super(fabric, host, 'gbn', { retransmissions: 0, timeouts: 0, naksSent: 0, naksReceived: 0, bytesAcked: 0, messagesCompleted: 0, messagesFailed: 0, segmentsDelivered: 0, outOfOrderDropped: 0 }, protector);
  }

  protected newSender(dst: HostId, entropy: number): GbnSender {
    return new GbnSender(this.nic, dst, entropy, this.counters);
  }

  protected newReceiver(src: HostId): GbnReceiver {
    return new GbnReceiver(src);
  }

  protected receive(receiver: GbnReceiver, header: StreamDataHeader, payload: Uint8Array | undefined): StreamAckHeader | null {
    const outcome = receiver.inOrder.accept(header, payload, this.fabric.now, this.deliver);
    const expected = receiver.inOrder.expected;
    let nak = false;
    if (outcome === 'outside') {
      this.counters.outOfOrderDropped++;
      if (receiver.nakedAt === expected) return null;
      receiver.nakedAt = expected;
      nak = true;
      this.counters.naksSent++;
    }
    return { proto: 'gbn', ack: expected, echoPs: header.sentPs, nak };
  }
}

export function createGbn(fabric: Fabric, host: HostId, protector: PacketProtector | undefined): Transport & { entropyTo(dst: HostId): number } {
  return new GbnTransport(fabric, host, protector);
}
