import { EmuError, assert } from '../errors.ts';
import type { Simulator } from '../sim/index.ts';

/** Who holds one end of a connection; the ledger files what it receives under this name. */
export type EndOwner = string;

export type DeliveryObserver = (owner: EndOwner, channel: string, bytes: Uint8Array) => void;

export interface PipeOptions {
  readonly sim: Simulator;
  /** Trace and ledger label, e.g. `vsock 16:5000<->3:40001`. */
  readonly channel: string;
  readonly latencyNs: number;
  readonly owners: readonly [EndOwner, EndOwner];
  readonly observe?: DeliveryObserver;
  /** Bound on bytes waiting unread at one end. */
  readonly bufferedBytesMax?: number;
}

/**
 * One end of an in-order, reliable byte pipe with virtual latency. Chunk boundaries are kept
 * (a message-preserving stream); `read()` waits for the next chunk.
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
  readonly #options: PipeOptions;

  constructor(owner: EndOwner, options: PipeOptions) {
    this.owner = owner;
    this.channel = options.channel;
    this.#options = options;
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
    const { sim, latencyNs, channel } = this.#options;
    sim.schedule(latencyNs, `deliver ${channel}`, () => peer.#deliver(copy));
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
    this.#closed = true;
    const peer = this.#peer;
    if (peer !== undefined) this.#options.sim.schedule(this.#options.latencyNs, `close ${this.channel}`, () => peer.#peerClose());
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(null);
  }

  #deliver(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#options.observe?.(this.owner, this.channel, bytes);
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
