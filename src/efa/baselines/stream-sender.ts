// The sending half both single-path baselines share: the stream of one connection, its cumulative-ACK cursors, one
// retransmission timer, and how a segment becomes a packet, how acknowledged messages complete and how a dead
// connection fails. The subclasses decide when to send (window, congestion control) and how to recover from loss.
import type { HostId, Packet, Ps } from '../contracts.ts';
import { LazyTimer, type BaselineNic } from './nic.ts';
import type { PostedMessage } from './post.ts';
import type { StreamSender, StreamProto } from './single-path.ts';
import { SendStream, type StreamAckHeader, type StreamDataHeader } from './stream.ts';

export interface SenderCounters {
  retransmissions: number;
  bytesAcked: number;
  messagesCompleted: number;
  messagesFailed: number;
}

export abstract class StreamSenderBase<C extends SenderCounters> implements StreamSender {
  readonly stream: SendStream;
  protected readonly timer: LazyTimer;
  /** Oldest unacknowledged, next to send, one past the highest ever sent. */
  protected una = 0;
  protected nxt = 0;
  protected max = 0;

  constructor(
    protected readonly nic: BaselineNic,
    private readonly dst: HostId,
    /** The one ECMP entropy value of this connection (a TCP 5-tuple hashes to one path). */
    readonly entropy: number,
    private readonly proto: StreamProto,
    protected readonly counters: C,
  ) {
    this.stream = new SendStream(nic.fabric.config.mtuPayloadBytes);
    this.timer = new LazyTimer(nic.fabric, () => this.onTimeout());
  }

  abstract nextPacket(): Packet | null;
  abstract onAck(ack: StreamAckHeader): void;
  protected abstract onTimeout(): void;
  /** How long after sending the timer gives the oldest outstanding packet. */
  protected abstract timeoutPs(): Ps;

  post(message: PostedMessage): void {
    this.stream.enqueue({ id: message.id, bytes: message.bytes, payload: message.payload, postedPs: this.nic.fabric.now, onComplete: message.onComplete });
    this.nic.kick();
  }

  /** The data packet for `seq` (a resend when `seq` went out before); starts the timer if it was idle. */
  protected packet(seq: number): Packet {
    const now = this.nic.fabric.now;
    const { message, offset, length } = this.stream.segment(seq);
    if (seq < this.max) this.counters.retransmissions++;
    else this.max = seq + 1;
    if (!this.timer.armed) this.timer.arm(now + this.timeoutPs());
    const header: StreamDataHeader = { proto: this.proto, seq, messageId: message.id, offset, length, messageBytes: message.bytes, sentPs: now };
    const packet: Packet = { src: this.nic.host, dst: this.dst, entropy: this.entropy, kind: 'data', wireBytes: this.nic.dataWireBytes(length), header };
    if (message.payload !== undefined) packet.payload = message.payload.subarray(offset, offset + length);
    return packet;
  }

  /** Completes, in order, every message that sequence numbers below `una` finish. */
  protected completeAcked(now: Ps): void {
    for (const m of this.stream.acknowledge(this.una)) {
      this.counters.bytesAcked += m.bytes;
      this.counters.messagesCompleted++;
      m.onComplete({ id: m.id, ok: true, postedPs: m.postedPs, completedPs: now });
    }
  }

  /** Gives the connection up: every pending message completes with `code` and nothing is outstanding any more. */
  protected fail(code: string): void {
    this.timer.disarm();
    const now = this.nic.fabric.now;
    for (const m of this.stream.drain()) {
      this.counters.messagesFailed++;
      m.onComplete({ id: m.id, ok: false, code, postedPs: m.postedPs, completedPs: now });
    }
    this.una = this.nxt = this.max = this.stream.endSeq;
  }
}
