import { EV_DOWN_PS, LOSS_CONTEXT_GAIN, LOSS_EWMA_GAIN, LOSS_PENALTY_LEVEL, LOSS_PENALTY_RELATIVE, PENALTY_RTOS, PENALTY_SCALE_MAX, RTO_MAX_PS, RTO_MIN_PS, TQ_PS } from './constants.ts';

/**
 * Per-entropy-value path state of one SRD context (research/efa-srd.md §5.3): RTT estimators, per-path sequence
 * numbers for the FIFO-gap detector, penalties, quarantine and probing. Typed arrays indexed by EV.
 */
export class PathSet {
  readonly count: number;
  readonly srtt: Float64Array;
  readonly rttvar: Float64Array;
  /** Latest RTT sample per EV: congestion is judged on it, not on srtt, which a rarely used EV updates too slowly. */
  readonly lastRtt: Float64Array;
  /** Send time of the transmission behind `lastRtt`: CC counts only samples of packets sent under the current rate. */
  readonly lastTxPs: Float64Array;
  readonly sampledAt: Float64Array;
  readonly nextPathSeq: Float64Array;
  readonly penaltyUntil: Float64Array;
  readonly downUntil: Float64Array;
  readonly consecutiveTimeouts: Int32Array;
  readonly lossEwma: Float64Array;
  /** 1 while an EV back from quarantine may carry only one probe packet until it is ACKed. */
  readonly probing: Uint8Array;
  readonly probeOutstanding: Uint8Array;
  /** Congestion flags from the last CC update (srtt > baseRtt + Tq), and whether most active EVs were fine. */
  readonly congested: Uint8Array;
  majorityFine = true;
  /** The context's loss rate per transmission outcome (ACK or loss) over all its EVs, slow. */
  #lossRate = 0;
  #cursor: number;
  quarantines = 0;
  penalties = 0;

  constructor(count: number, cursorStart: number) {
    this.count = count;
    this.srtt = new Float64Array(count);
    this.rttvar = new Float64Array(count);
    this.lastRtt = new Float64Array(count);
    this.lastTxPs = new Float64Array(count).fill(-1);
    this.sampledAt = new Float64Array(count).fill(-1);
    this.nextPathSeq = new Float64Array(count);
    this.penaltyUntil = new Float64Array(count);
    this.downUntil = new Float64Array(count);
    this.consecutiveTimeouts = new Int32Array(count);
    this.lossEwma = new Float64Array(count);
    this.probing = new Uint8Array(count);
    this.probeOutstanding = new Uint8Array(count);
    this.congested = new Uint8Array(count);
    this.#cursor = cursorStart % count;
  }

  /** RFC 6298-style estimator per EV; a clean ACK also ends a probe and clears the timeout streak. */
  sample(ev: number, rttPs: number, nowPs: number, txPs: number): void {
    if (this.sampledAt[ev]! < 0) {
      this.srtt[ev] = rttPs;
      this.rttvar[ev] = rttPs / 2;
    } else {
      const err = rttPs - this.srtt[ev]!;
      this.srtt[ev] = this.srtt[ev]! + err / 8;
      this.rttvar[ev] = this.rttvar[ev]! + (Math.abs(err) - this.rttvar[ev]!) / 4;
    }
    this.sampledAt[ev] = nowPs;
    this.lastRtt[ev] = rttPs;
    if (txPs > this.lastTxPs[ev]!) this.lastTxPs[ev] = txPs;
    this.consecutiveTimeouts[ev] = 0;
    this.probing[ev] = 0;
    this.probeOutstanding[ev] = 0;
    this.lossEwma[ev] = this.lossEwma[ev]! * (1 - LOSS_EWMA_GAIN);
    this.#lossRate *= 1 - LOSS_CONTEXT_GAIN;
  }

  /** RTO for a transmission on `ev` after `timeouts` earlier timeouts of the same PSN (×2 each). */
  rto(ev: number, timeouts: number): number {
    const base = this.sampledAt[ev]! < 0 ? RTO_MIN_PS : this.srtt[ev]! + 4 * this.rttvar[ev]!;
    const backedOff = Math.max(RTO_MIN_PS, base) * 2 ** Math.min(timeouts, 16);
    return Math.round(Math.min(RTO_MAX_PS, backedOff));
  }

  /**
   * A loss found by the FIFO-gap detector. Only an EV losing clearly more than the others sits out (a gray link);
   * under loss spread evenly over all paths every EV looks alike and none is penalised.
   */
  gapLoss(ev: number, nowPs: number): void {
    this.lossEwma[ev] = this.lossEwma[ev]! * (1 - LOSS_EWMA_GAIN) + LOSS_EWMA_GAIN;
    this.#lossRate = this.#lossRate * (1 - LOSS_CONTEXT_GAIN) + LOSS_CONTEXT_GAIN;
    // Against the context's own long-run loss rate, not the mean of the per-EV averages: one random loss lifts its
    // EV's average by a full gain step (6%), which the mean of 32 averages barely follows, so under 1% loss spread
    // over every path almost every loss used to sit its EV out for ~4 RTOs, and at full load the uneven spray that
    // leaves costs more goodput than the loss itself (E3, 8 connections).
    const level = Math.max(LOSS_PENALTY_LEVEL, LOSS_PENALTY_RELATIVE * this.#lossRate);
    // The worse the EV's record, the longer it sits out (a persistent gray link ends up carrying almost nothing).
    const scale = Math.min(PENALTY_SCALE_MAX, this.lossEwma[ev]! / level);
    if (this.lossEwma[ev]! > level) this.#penalise(ev, nowPs, nowPs + Math.round(PENALTY_RTOS * scale * this.rto(ev, 0)));
  }

  /** A timeout on `ev`: one penalises it for PENALTY_RTOS RTOs, two in a row quarantine it, then one probe. */
  timeout(ev: number, rtoPs: number, nowPs: number): boolean {
    this.lossEwma[ev] = this.lossEwma[ev]! * (1 - LOSS_EWMA_GAIN) + LOSS_EWMA_GAIN;
    this.#lossRate = this.#lossRate * (1 - LOSS_CONTEXT_GAIN) + LOSS_CONTEXT_GAIN;
    const streak = ++this.consecutiveTimeouts[ev]!;
    this.probeOutstanding[ev] = 0;
    if (streak >= 2 && this.#outCount(nowPs) * 2 < this.count) {
      this.downUntil[ev] = nowPs + EV_DOWN_PS;
      this.probing[ev] = 1;
      this.quarantines++;
      return true;
    }
    this.#penalise(ev, nowPs, nowPs + PENALTY_RTOS * rtoPs);
    return false;
  }

  /**
   * Recomputes the congestion flags from EVs whose latest sample is of a packet sent at or after `sentSincePs` (so
   * the verdict reflects the current rate, not the queue an earlier rate built); returns [active, congested, median].
   */
  assess(limitPs: number, sentSincePs: number): [number, number, number] {
    const limit = limitPs;
    const active: number[] = [];
    let congestedCount = 0;
    for (let ev = 0; ev < this.count; ev++) {
      const fresh = this.lastTxPs[ev]! >= 0 && this.lastTxPs[ev]! >= sentSincePs;
      const hot = fresh && this.lastRtt[ev]! > limit;
      this.congested[ev] = hot ? 1 : 0;
      if (fresh) {
        active.push(this.lastRtt[ev]!);
        if (hot) congestedCount++;
      }
    }
    this.majorityFine = congestedCount * 2 <= active.length;
    active.sort((a, b) => a - b);
    const median = active.length === 0 ? 0 : active[active.length >> 1]!;
    return [active.length, congestedCount, median];
  }

  /**
   * Round-robin over usable EVs (research §5.3 path choice): not quarantined (or free to probe), not penalised, and
   * not congested while most paths are fine. `avoid` is the EV a retransmission must leave (-1: none). Falls back to
   * the EV whose penalty ends first, so there is always a path.
   */
  pick(nowPs: number, avoid: number): number {
    const n = this.count;
    if (n === 1) return this.#take(0);
    for (let i = 0; i < n; i++) {
      const ev = (this.#cursor + i) % n;
      if (ev === avoid || this.downUntil[ev]! > nowPs || this.penaltyUntil[ev]! > nowPs) continue;
      if (this.probing[ev] !== 0 && this.probeOutstanding[ev] !== 0) continue;
      if (this.congested[ev] !== 0 && this.majorityFine) continue;
      this.#cursor = ev + 1;
      return this.#take(ev);
    }
    let best = -1;
    let bestUntil = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const ev = (this.#cursor + i) % n;
      if (ev === avoid) continue;
      const until = Math.max(this.downUntil[ev]!, this.penaltyUntil[ev]!);
      if (until < bestUntil) {
        best = ev;
        bestUntil = until;
      }
    }
    this.#cursor = best + 1;
    return this.#take(best);
  }

  /** EVs penalised or quarantined at `nowPs`. */
  #outCount(nowPs: number): number {
    let out = 0;
    for (let ev = 0; ev < this.count; ev++) if (this.penaltyUntil[ev]! > nowPs || this.downUntil[ev]! > nowPs) out++;
    return out;
  }

  #take(ev: number): number {
    if (this.probing[ev] !== 0) this.probeOutstanding[ev] = 1;
    return ev;
  }

  #penalise(ev: number, nowPs: number, untilPs: number): void {
    if (untilPs > this.penaltyUntil[ev]!) {
      // When half the paths are already out, losses are not about one path (global loss, a dying peer): steering
      // away would only concentrate traffic, so the EV stays in use.
      if (this.#outCount(nowPs) * 2 >= this.count) return;
      this.penaltyUntil[ev] = untilPs;
      this.penalties++;
    }
  }
}
