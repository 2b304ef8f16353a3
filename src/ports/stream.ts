import { EmuError, assert } from '../errors.ts';
import type { Simulator } from '../sim/index.ts';

/** Who holds one end of a connection; the ledger files what it receives under this name. */
export type EndOwner = string;

/** `from` is the sending end's owner (who put the bytes on the pipe), for message traces. */
export type DeliveryObserver = (owner: EndOwner, channel: string, bytes: Uint8Array, from?: EndOwner) => void;

export interface PipeOptions {
  readonly sim: Simulator;
  /** Trace and ledger label, e.g. `vsock 16:5000<->3:40001`. */
  readonly channel: string;
  readonly latencyNs: number;
  readonly owners: readonly [EndOwner, EndOwner];
  readonly observe?: DeliveryObserver;
  /** Bound on bytes waiting unread at one end. */
  readonly bufferedBytesMax?: number;
  /** The link class fault sites scope to (`pipe.drop.<link>`); default from the channel label, see `linkOf`. */
  readonly link?: string;
}

/** Fault kinds a plan may arm on pipes, each as `pipe.<kind>` (every link) or `pipe.<kind>.<link>`. */
export const PIPE_FAULT_KINDS = ['drop', 'duplicate', 'reorder', 'delay'] as const;
export type PipeFaultKind = (typeof PIPE_FAULT_KINDS)[number];
/** Link classes: the enclave's vsock, the network path to KMS, the client's internet path. */
export const PIPE_LINKS = ['vsock', 'kms-endpoint', 'client'] as const;

/** Bound on the extra latency `pipe.delay` adds to one message. */
export const PIPE_DELAY_NS_MAX = 20_000_000;
/** How long `pipe.reorder` holds a message when no later one comes to overtake it. */
export const PIPE_HOLD_NS_MAX = 2_000_000;

/** `vsock 16:…` → vsock, `kms-endpoint …` → kms-endpoint, `internet client<->parent` → client. */
export function linkOf(channel: string): string {
  if (channel.startsWith('vsock')) return 'vsock';
  if (channel.startsWith('kms-endpoint')) return 'kms-endpoint';
  if (channel.startsWith('internet')) return 'client';
  return 'other';
}

/**
 * One end of an in-order, reliable byte pipe with virtual latency. Chunk boundaries are kept
 * (a message-preserving stream); `read()` waits for the next chunk.
 *
 * Faults act on whole `send()` calls, never inside one: every sender in the emulator hands a pipe one
 * whole message per call (FramedConnection sends a frame, the heartbeat its byte), so a dropped,
 * duplicated or overtaken message leaves the framing parseable and the receiver sees a message-level
 * fault, as from a lossy relay. Delivery stays FIFO under `pipe.delay` (a late message holds back the
 * ones behind it, as TCP would); only `pipe.reorder` changes the order, by one place.
 */
export class PipeEnd {
  readonly owner: EndOwner;
  readonly channel: string;
  #peer: PipeEnd | undefined;
  #queue: Uint8Array[] = [];
  #bufferedBytes = 0;
  #waiters: Array<{ resolve: (chunk: Uint8Array | null) => void }> = [];
  #closed = false;
  #peerClosed = false;
  /** Virtual time of the last delivery scheduled from this end: nothing may arrive before it. */
  #lastDeliveryNs = 0;
  /** A message `pipe.reorder` holds back until the next one overtakes it (or its hold time ends). */
  #held: { bytes: Uint8Array; cancelFlush: () => void } | undefined;
  readonly #options: PipeOptions;
  readonly #link: string;

  constructor(owner: EndOwner, options: PipeOptions) {
    this.owner = owner;
    this.channel = options.channel;
    this.#options = options;
    this.#link = options.link ?? linkOf(options.channel);
  }

  link(peer: PipeEnd): void {
    assert(this.#peer === undefined, 'pipe end linked twice');
    this.#peer = peer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(bytes: Uint8Array): void {
    if (this.#closed) throw new EmuError('PIPE_CLOSED', `${this.channel}: send on a closed end`);
    const peer = this.#peer;
    assert(peer !== undefined, 'pipe end not linked');
    const copy = bytes.slice();
    const { sim } = this.#options;
    // An empty or paused plan draws nothing here, so fault-free runs keep their exact event order.
    if (!sim.faults.active) {
      this.#enqueue(peer, copy, 0);
      return;
    }
    if (this.#fires('drop')) return;
    const extraNs = this.#fires('delay') ? sim.faults.amount(PIPE_DELAY_NS_MAX) : 0;
    const duplicate = this.#fires('duplicate');
    if (this.#held === undefined && this.#fires('reorder')) {
      const cancelFlush = sim.schedule(this.#options.latencyNs + PIPE_HOLD_NS_MAX, `flush ${this.channel}`, () => this.#flushHeld(peer));
      this.#held = { bytes: copy, cancelFlush };
      return;
    }
    this.#enqueue(peer, copy, extraNs);
    if (duplicate) this.#enqueue(peer, copy.slice(), 0);
    if (this.#held !== undefined) {
      this.#held.cancelFlush();
      this.#flushHeld(peer);
    }
  }

  #fires(kind: PipeFaultKind): boolean {
    const faults = this.#options.sim.faults;
    const fired = faults.maybe(`pipe.${kind}`) || faults.maybe(`pipe.${kind}.${this.#link}`);
    if (fired) this.#options.sim.record('pipe.fault', { kind, channel: this.channel, from: this.owner });
    return fired;
  }

  #flushHeld(peer: PipeEnd): void {
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined && !this.#closed) this.#enqueue(peer, held.bytes, 0);
  }

  /** Schedules delivery no earlier than the last one, so messages stay in order whatever their delay. */
  #enqueue(peer: PipeEnd, bytes: Uint8Array, extraNs: number): void {
    const { sim, latencyNs, channel } = this.#options;
    const atNs = Math.max(sim.nowNs + latencyNs + extraNs, this.#lastDeliveryNs);
    this.#lastDeliveryNs = atNs;
    sim.schedule(atNs - sim.nowNs, `deliver ${channel}`, () => peer.#deliver(bytes));
  }

  /** Next chunk, or null once the peer closed and everything was read. */
  read(): Promise<Uint8Array | null> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#bufferedBytes -= chunk.length;
      return Promise.resolve(chunk);
    }
    if (this.#peerClosed || this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push({ resolve }));
  }

  close(): void {
    if (this.#closed) return;
    const peer = this.#peer;
    if (peer !== undefined && this.#held !== undefined) {
      this.#held.cancelFlush();
      this.#flushHeld(peer);
    }
    this.#closed = true;
    if (peer !== undefined) {
      const { sim, latencyNs } = this.#options;
      // The close travels behind the data already in flight, never ahead of it.
      const atNs = Math.max(sim.nowNs + latencyNs, this.#lastDeliveryNs);
      sim.schedule(atNs - sim.nowNs, `close ${this.channel}`, () => peer.#peerClose());
    }
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(null);
  }

  #deliver(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#options.observe?.(this.owner, this.channel, bytes, this.#peer?.owner);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve(bytes);
      return;
    }
    const max = this.#options.bufferedBytesMax ?? 1 << 30;
    if (this.#bufferedBytes + bytes.length > max) {
      throw new EmuError('PIPE_OVERFLOW', `${this.channel}: receiver of ${this.owner} is not reading`);
    }
    this.#queue.push(bytes);
    this.#bufferedBytes += bytes.length;
  }

  #peerClose(): void {
    this.#peerClosed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(null);
  }
}

export function createPipe(options: PipeOptions): [PipeEnd, PipeEnd] {
  const a = new PipeEnd(options.owners[0], options);
  const b = new PipeEnd(options.owners[1], options);
  a.link(b);
  b.link(a);
  return [a, b];
}
