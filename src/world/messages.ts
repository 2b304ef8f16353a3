import { assert } from '../errors.ts';
import type { Observation, Principal } from '../scenario/index.ts';

/**
 * One transfer of bytes from one principal to another, as the world saw it cross: a pipe delivery (vsock,
 * the KMS endpoint, the client's internet path), a bounce-buffer or device-link write in parent memory, a file
 * the owner put on the parent's disk. The bytes themselves are in the ledger (`observation`); this adds who
 * sent them, which the ledger (filed by receiver) does not say. Kept out of the trace digest: recording
 * messages changes no run.
 */
export interface MessageEvent {
  readonly seq: number;
  readonly timeNs: number;
  readonly from: Principal;
  readonly to: Principal;
  readonly channel: string;
  /** The ledger entry of these bytes (size, digest, canaries), filed under the receiver or the observer. */
  readonly observation: Observation;
  /** A principal that saw the bytes in transit without being either end (bounce buffers in parent memory). */
  readonly observedBy?: Principal;
  /** Set when the writer itself said whether it sealed the bytes (AEAD) or wrote them plain. */
  readonly sealed?: boolean;
}

/** Bound on recorded messages (the ledger holds at most a million observations; so does this). */
export const MESSAGES_MAX = 1_000_000;

export class MessageLog {
  readonly #events: MessageEvent[] = [];
  #dropped = 0;

  record(event: Omit<MessageEvent, 'seq'>): void {
    assert(event.from !== event.to || event.from === 'device', 'a message crosses between principals (device to device is two devices)');
    if (this.#events.length >= MESSAGES_MAX) {
      this.#dropped++;
      return;
    }
    this.#events.push(Object.freeze({ ...event, seq: this.#events.length }));
  }

  get events(): readonly MessageEvent[] {
    return this.#events;
  }

  /** Messages past MESSAGES_MAX, counted and not kept. */
  get dropped(): number {
    return this.#dropped;
  }
}
