// The byte stream under a single-path baseline: messages become a run of packet-sized segments numbered by a
// per-connection sequence (one number per packet, like a TCP stream counted in MSS units), and an in-order
// receiver hands segments to the application only when every earlier one has arrived (head-of-line blocking).
import type { DeliveredSegment, HostId, Ps, TransferCompletion } from '../contracts.ts';
import { assert } from '../../errors.ts';

/** Largest message a baseline accepts (the SRD device's RDMA limit, research/efa-srd.md §2.2). */
export const MESSAGE_BYTES_MAX = 1 << 30;
/** Messages queued on one connection at a time: beyond it a post fails typed instead of growing without bound. */
export const MESSAGES_PENDING_MAX = 1 << 16;

export interface PendingMessage {
  readonly id: number;
  readonly bytes: number;
  readonly payload: Uint8Array | undefined;
  readonly postedPs: Ps;
  readonly onComplete: (completion: TransferCompletion) => void;
  /** First sequence number of the message and one past its last. */
  readonly startSeq: number;
  readonly endSeq: number;
}

export interface Segment {
  readonly message: PendingMessage;
  readonly offset: number;
  readonly length: number;
}

/** What a baseline data packet carries in `header` (the fabric never reads it). */
export interface StreamDataHeader {
  readonly proto: 'tcp' | 'gbn';
  readonly seq: number;
  readonly messageId: number;
  readonly offset: number;
  readonly length: number;
  readonly messageBytes: number;
  /** Echoed by the receiver (TCP timestamps, RFC 7323): RTT samples stay valid across retransmissions. */
  readonly sentPs: Ps;
}

export interface StreamAckHeader {
  readonly proto: 'tcp' | 'gbn';
  /** Cumulative: every sequence number below it arrived. */
  readonly ack: number;
  readonly echoPs: Ps;
  /** Go-back-N only: the receiver saw a gap and asks the sender to resend from `ack`. */
  readonly nak: boolean;
}

export function isDataHeader(header: unknown, proto: 'tcp' | 'gbn'): header is StreamDataHeader {
  if (typeof header !== 'object' || header === null) return false;
  const h = header as Record<string, unknown>;
  return (
    h['proto'] === proto &&
    isCount(h['seq']) &&
    Number.isSafeInteger(h['messageId']) &&
    isCount(h['offset']) &&
    isCount(h['length']) &&
    isCount(h['messageBytes']) &&
    (h['messageBytes'] as number) <= MESSAGE_BYTES_MAX &&
    (h['offset'] as number) + (h['length'] as number) <= (h['messageBytes'] as number) &&
    isCount(h['sentPs'])
  );
}

export function isAckHeader(header: unknown, proto: 'tcp' | 'gbn'): header is StreamAckHeader {
  if (typeof header !== 'object' || header === null) return false;
  const h = header as Record<string, unknown>;
  return h['proto'] === proto && isCount(h['ack']) && isCount(h['echoPs']) && typeof h['nak'] === 'boolean';
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** The sender's side: messages in post order, addressed by sequence number until acknowledged. */
export class SendStream {
  readonly #segmentBytes: number;
  /** Unacknowledged messages in sequence order; index 0 holds the oldest. */
  #messages: PendingMessage[] = [];
  #head = 0;
  #endSeq = 0;

  constructor(segmentBytes: number) {
    assert(Number.isSafeInteger(segmentBytes) && segmentBytes > 0, 'segment size must be a positive integer');
    this.#segmentBytes = segmentBytes;
  }

  /** One past the last sequence number assigned so far. */
  get endSeq(): number {
    return this.#endSeq;
  }

  get pendingCount(): number {
    return this.#messages.length - this.#head;
  }

  enqueue(message: Omit<PendingMessage, 'startSeq' | 'endSeq'>): PendingMessage {
    const segments = Math.max(1, Math.ceil(message.bytes / this.#segmentBytes));
    const pending: PendingMessage = { ...message, startSeq: this.#endSeq, endSeq: this.#endSeq + segments };
    this.#endSeq = pending.endSeq;
    this.#messages.push(pending);
    return pending;
  }

  /** The segment with sequence number `seq`, which must be assigned and not yet acknowledged. */
  segment(seq: number): Segment {
    const message = this.#find(seq);
    const offset = (seq - message.startSeq) * this.#segmentBytes;
    return { message, offset, length: Math.min(this.#segmentBytes, message.bytes - offset) };
  }

  /** Removes and returns the messages that every sequence number below `ack` completes. */
  acknowledge(ack: number): PendingMessage[] {
    const done: PendingMessage[] = [];
    while (this.#head < this.#messages.length && this.#messages[this.#head]!.endSeq <= ack) {
      done.push(this.#messages[this.#head]!);
      this.#head++;
    }
    // Compact now and then so the array does not keep every message of a long run.
    if (this.#head > 1024 && this.#head * 2 > this.#messages.length) {
      this.#messages = this.#messages.slice(this.#head);
      this.#head = 0;
    }
    return done;
  }

  /** Removes every pending message (the connection failed); the caller completes them with an error. */
  drain(): PendingMessage[] {
    const all = this.#messages.slice(this.#head);
    this.#messages = [];
    this.#head = 0;
    return all;
  }

  #find(seq: number): PendingMessage {
    let lo = this.#head;
    let hi = this.#messages.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.#messages[mid]!;
      if (seq < m.startSeq) hi = mid - 1;
      else if (seq >= m.endSeq) lo = mid + 1;
      else return m;
    }
    assert(false, `sequence ${seq} is not pending`);
  }
}

/** The receiver's side of one connection: delivers in sequence order, holding at most `windowPackets` ahead. */
export class InOrderReceiver {
  #expected = 0;
  readonly #held = new Map<number, DeliveredSegment>();
  readonly #windowPackets: number;

  constructor(
    private readonly src: HostId,
    windowPackets: number,
  ) {
    assert(Number.isSafeInteger(windowPackets) && windowPackets >= 0, 'window must be a non-negative integer');
    this.#windowPackets = windowPackets;
  }

  get expected(): number {
    return this.#expected;
  }

  /**
   * Accepts a segment: delivers it and any held successors if it is the next one, holds it if it is within the
   * window ahead, ignores it otherwise. Returns 'delivered' | 'held' | 'duplicate' | 'outside'.
   */
  accept(header: StreamDataHeader, payload: Uint8Array | undefined, atPs: Ps, deliver: (segment: DeliveredSegment) => void): 'delivered' | 'held' | 'duplicate' | 'outside' {
    const segment = this.#segmentOf(header, payload, atPs);
    if (header.seq < this.#expected || this.#held.has(header.seq)) return 'duplicate';
    if (header.seq > this.#expected) {
      if (header.seq - this.#expected > this.#windowPackets) return 'outside';
      this.#held.set(header.seq, segment);
      return 'held';
    }
    deliver(segment);
    this.#expected++;
    for (let next = this.#held.get(this.#expected); next !== undefined; next = this.#held.get(this.#expected)) {
      this.#held.delete(this.#expected);
      // Held segments reach the application now, when the gap closes: that wait is head-of-line blocking.
      deliver({ ...next, atPs });
      this.#expected++;
    }
    return 'delivered';
  }

  #segmentOf(header: StreamDataHeader, payload: Uint8Array | undefined, atPs: Ps): DeliveredSegment {
    return {
      src: this.src,
      messageId: header.messageId,
      offset: header.offset,
      length: header.length,
      messageBytes: header.messageBytes,
      ...(payload !== undefined ? { payload } : {}),
      atPs,
    };
  }
}
