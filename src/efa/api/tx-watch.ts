// The sender's response timeout. The transport guarantees an outcome for every packet, but not that the peer
// answers: a peer that dies between our packet's ack and its RESP (or a read's data) would hang the operation.
// One periodic sweep per endpoint, running only while some operation awaits the network.
import type { EpCore } from './core.ts';
import type { TxOp } from './tx.ts';

export class ResponseWatch {
  readonly #core: EpCore;
  readonly #ops: ReadonlyMap<number, TxOp>;
  readonly #expire: (op: TxOp) => void;
  #cancel: (() => void) | undefined;

  /** `expire` is called for an operation with no progress for responseTimeoutPs. */
  constructor(core: EpCore, ops: ReadonlyMap<number, TxOp>, expire: (op: TxOp) => void) {
    this.#core = core;
    this.#ops = ops;
    this.#expire = expire;
  }

  arm(): void {
    if (this.#cancel !== undefined) return;
    const periodPs = Math.max(1, Math.floor(this.#core.limits.responseTimeoutPs / 4));
    this.#cancel = this.#core.schedule(this.#core.now() + periodPs, () => {
      this.#cancel = undefined;
      this.#sweep();
    });
  }

  /** Stops the sweep once nothing is in flight, so an idle endpoint leaves no event on the fabric. */
  settle(): void {
    if (this.#ops.size === 0 && this.#cancel !== undefined) {
      this.#cancel();
      this.#cancel = undefined;
    }
  }

  #sweep(): void {
    const now = this.#core.now();
    for (const op of [...this.#ops.values()]) {
      if (!awaitsNetwork(op)) continue;
      if (now - op.lastProgressPs >= this.#core.limits.responseTimeoutPs) this.#expire(op);
    }
    // Re-arm only while something awaits the network: parked and backlog-only ops must not keep the clock running.
    for (const op of this.#ops.values()) {
      if (awaitsNetwork(op)) {
        this.arm();
        return;
      }
    }
  }
}

function awaitsNetwork(op: TxOp): boolean {
  return op.transmitted && !op.done && !op.parked;
}
