import { EmuError } from '../../errors.ts';
import type { LinkFault } from '../contracts.ts';
import { FabricRandom } from './random.ts';

/** What a faulty link does to one packet crossing it. */
export const FATE_PASS = 0;
export const FATE_DROP = 1;

/**
 * Per-link fault state (research/efa-srd.md §5.2). Faults take effect as scheduled events; each link draws from its
 * own stream named by (seed, link id), so a fault on one link never shifts another link's draws. Draws happen only
 * for fault kinds that are active, in a fixed order (loss, corrupt, duplicate, reorder), so a plan replays exactly.
 */
export class LinkFaults {
  readonly down: Uint8Array;
  /** 1 where any probabilistic or delay fault is set: the hot path checks this one byte. */
  readonly active: Uint8Array;
  readonly #loss: Float64Array;
  readonly #corrupt: Float64Array;
  readonly #duplicate: Float64Array;
  readonly #delayPs: Float64Array;
  readonly #reorder: Float64Array;
  readonly #reorderPs: Float64Array;
  readonly #streams: (FabricRandom | undefined)[];
  readonly #seed: number;
  /** Outputs of the last `apply`: extra latency and whether to corrupt / duplicate. */
  extraPs = 0;
  corrupt = false;
  duplicate = false;

  constructor(linkCount: number, seed: number) {
    this.#seed = seed;
    this.down = new Uint8Array(linkCount);
    this.active = new Uint8Array(linkCount);
    this.#loss = new Float64Array(linkCount);
    this.#corrupt = new Float64Array(linkCount);
    this.#duplicate = new Float64Array(linkCount);
    this.#delayPs = new Float64Array(linkCount);
    this.#reorder = new Float64Array(linkCount);
    this.#reorderPs = new Float64Array(linkCount);
    this.#streams = new Array<FabricRandom | undefined>(linkCount).fill(undefined);
  }

  /** Checks a fault before it is scheduled, so a bad plan fails at the call, not mid-run. */
  static validate(fault: LinkFault): void {
    const probability = 'probability' in fault ? fault.probability : 0;
    if (!(probability >= 0 && probability <= 1)) {
      throw new EmuError('EFA_BAD_FAULT', 'fault probability must be in [0, 1]', { fault });
    }
    const extraPs = 'extraPs' in fault ? fault.extraPs : 0;
    if (!Number.isSafeInteger(extraPs) || extraPs < 0) {
      throw new EmuError('EFA_BAD_FAULT', 'fault extraPs must be a non-negative integer', { fault });
    }
  }

  set(link: number, fault: LinkFault): void {
    switch (fault.kind) {
      case 'down':
        this.down[link] = 1;
        break;
      case 'up':
        this.down[link] = 0;
        break;
      case 'loss':
        this.#loss[link] = fault.probability;
        break;
      case 'corrupt':
        this.#corrupt[link] = fault.probability;
        break;
      case 'duplicate':
        this.#duplicate[link] = fault.probability;
        break;
      case 'delay':
        this.#delayPs[link] = fault.extraPs;
        break;
      case 'reorder':
        this.#reorder[link] = fault.probability;
        this.#reorderPs[link] = fault.extraPs;
        break;
    }
    const any =
      this.#loss[link]! > 0 || this.#corrupt[link]! > 0 || this.#duplicate[link]! > 0 || this.#delayPs[link]! > 0 || this.#reorder[link]! > 0;
    this.active[link] = any ? 1 : 0;
  }

  /** Decides one packet's fate on an active link; on PASS, `extraPs`, `corrupt` and `duplicate` describe it. */
  apply(link: number): number {
    const random = this.#stream(link);
    this.extraPs = this.#delayPs[link]!;
    this.corrupt = false;
    this.duplicate = false;
    const loss = this.#loss[link]!;
    if (loss > 0 && random.next() < loss) return FATE_DROP;
    const corrupt = this.#corrupt[link]!;
    if (corrupt > 0 && random.next() < corrupt) this.corrupt = true;
    const duplicate = this.#duplicate[link]!;
    if (duplicate > 0 && random.next() < duplicate) this.duplicate = true;
    const reorder = this.#reorder[link]!;
    if (reorder > 0 && random.next() < reorder) this.extraPs += this.#reorderPs[link]!;
    return FATE_PASS;
  }

  #stream(link: number): FabricRandom {
    let stream = this.#streams[link];
    if (stream === undefined) {
      stream = new FabricRandom(this.#seed, `net/link/${link}`);
      this.#streams[link] = stream;
    }
    return stream;
  }
}
