import { assert } from '../../errors.ts';
import { DROP_OK } from './header.ts';
import { PSN_WINDOW } from './constants.ts';

const WORDS = PSN_WINDOW / 32;
const MASK = PSN_WINDOW - 1;
/** Drop codes are rare (RNR / BAD_QP); keep at most this many unsettled ones per peer. */
const DROP_CODES_MAX = 4096;

export const RX_NEW = 0;
export const RX_DUPLICATE = 1;
export const RX_OUT_OF_WINDOW = 2;

/**
 * The receive side of one SRD context (research/efa-srd.md §5.4): PSN dedup over a bitmap window, so each PSN is
 * accepted at most once whatever the network duplicates or the sender retransmits. `cumPsn` is the first PSN not
 * yet seen; bits cover [cumPsn, cumPsn + PSN_WINDOW).
 */
export class RxWindow {
  cumPsn = 0;
  readonly #bits = new Uint32Array(WORDS);
  /** PSNs dropped with a code (RNR/BAD_QP): a retransmission's re-ACK must carry the same code. */
  readonly #dropCodes = new Map<number, number>();

  /** Moves the window's floor to the sender's settled point (a PSN it gave up on will never arrive). */
  settle(basePsn: number): void {
    if (this.#dropCodes.size > 0) for (const psn of this.#dropCodes.keys()) if (psn < basePsn) this.#dropCodes.delete(psn);
    if (basePsn <= this.cumPsn) return;
    if (basePsn - this.cumPsn >= PSN_WINDOW) {
      this.#bits.fill(0);
      this.cumPsn = basePsn;
    } else {
      while (this.cumPsn < basePsn) this.#clear(this.cumPsn++);
    }
    this.#advance();
  }

  /** Classifies a PSN: new, a duplicate (already seen or settled), or beyond the window. */
  classify(psn: number): number {
    if (psn < this.cumPsn) return RX_DUPLICATE;
    if (psn - this.cumPsn >= PSN_WINDOW) return RX_OUT_OF_WINDOW;
    return (this.#bits[(psn & MASK) >>> 5]! & (1 << (psn & 31))) !== 0 ? RX_DUPLICATE : RX_NEW;
  }

  /** Records a new PSN (after `classify` said RX_NEW) with the code it was answered with. */
  record(psn: number, dropCode: number): void {
    assert(psn >= this.cumPsn && psn - this.cumPsn < PSN_WINDOW, `PSN ${psn} outside the receive window`);
    const word = (psn & MASK) >>> 5;
    this.#bits[word] = this.#bits[word]! | (1 << (psn & 31));
    if (dropCode !== DROP_OK) this.#rememberDrop(psn, dropCode);
    this.#advance();
  }

  /** The drop code a PSN was answered with (OK unless it was dropped with a code). */
  dropCodeOf(psn: number): number {
    return this.#dropCodes.get(psn) ?? DROP_OK;
  }

  /**
   * The cumulative PSN to advertise: never past a PSN dropped with a code, so a lost coded ACK is not replaced by
   * a cumulative "received" for it.
   */
  advertisedCumPsn(): number {
    let cum = this.cumPsn;
    for (const psn of this.#dropCodes.keys()) if (psn < cum) cum = psn;
    return cum;
  }

  #rememberDrop(psn: number, code: number): void {
    if (this.#dropCodes.size >= DROP_CODES_MAX) {
      // The sender's window guarantees a PSN this far behind is settled on its side.
      for (const old of this.#dropCodes.keys()) if (old + PSN_WINDOW <= this.cumPsn) this.#dropCodes.delete(old);
    }
    assert(this.#dropCodes.size < DROP_CODES_MAX, 'too many unsettled drop codes');
    this.#dropCodes.set(psn, code);
  }

  #advance(): void {
    for (let steps = 0; steps < PSN_WINDOW; steps++) {
      const psn = this.cumPsn;
      const word = (psn & MASK) >>> 5;
      const bit = 1 << (psn & 31);
      if ((this.#bits[word]! & bit) === 0) return;
      this.#bits[word] = this.#bits[word]! & ~bit;
      this.cumPsn = psn + 1;
    }
  }

  #clear(psn: number): void {
    const word = (psn & MASK) >>> 5;
    this.#bits[word] = this.#bits[word]! & ~(1 << (psn & 31));
  }
}
