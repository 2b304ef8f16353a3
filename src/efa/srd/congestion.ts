// NOTE (rewritten with the E3/E4 fixes; the numbers and the on/off finding are in the NOTE block below the imports).
import {
  BASE_RTT_WINDOW_PS,
  CC_ALPHA,
  CC_BETA,
  CC_EXCESS_MAX,
  CC_EXCESS_MIN,
  CC_HYPER_AFTER_RTTS,
  CC_INCREASE_STEPS_MAX,
  CC_MAJORITY_RTTS,
  CC_RATE_MIN_FRACTION,
  TQ_PS,
} from './constants.ts';
import type { PathSet } from './paths.ts';

/** What a transmission remembers for its delivery-rate sample (BBR-style): the delivered count when it left. */
export interface RateStamp {
  deliveredAtSend: number;
  deliveredPsAtSend: number;
}

/**
 * Rate-based congestion control with an in-flight cap (research/efa-srd.md §5.3). Rates are bytes per picosecond.
 * AIMD on queueing delay: every ACK whose RTT is within baseRtt + Tq adds its share of a common step α·lineRate per
 * RTT; a sample above it, of a packet sent after the last cut, cuts once per RTT by β·excess — but only when most
 * recently sampled paths are above it too (one hot path is the path choice's business, not the rate's). A common
 * additive step with a multiplicative cut is what makes competing connections converge to equal shares. Loss is
 * never a signal. The in-flight cap is rate × (baseRtt + Tq), floored at one packet.
 */
export class Congestion {
  readonly lineRate: number;
  readonly packetBytes: number;
  readonly enabled: boolean;
  rate: number;
  inflightCap: number;
  baseRttPs: number;
  cuts = 0;
  #baseRttKnown = false;
  readonly #baseRttBoundPs: number;
  #windowMin = Number.POSITIVE_INFINITY;
  #windowStartPs = 0;
  #previousWindowMin = Number.POSITIVE_INFINITY;
  #delivered = 0;
  #deliveredPs = 0;
  /** Latest ACK's RTT and its packet's send time, consumed by `maybeUpdate`. */
  #sampleRttPs = 0;
  #sampleTxPs = 0;
  #sampleBytes = 0;
  #lastCutPs = Number.NEGATIVE_INFINITY;
  #cleanSincePs = 0;
  /** Time of the last increase or cut: the next increase is for the time since. */
  #updatedPs = 0;
  #assessedPs = 0;
  /** Highest delivery-rate sample since the last cut, and whether the sender ran out of data meanwhile. */
  #deliveryMax = 0;
  #appLimited = false;

  constructor(lineGbps: number, packetBytes: number, baseRttGuessPs: number, enabled: boolean) {
    this.lineRate = lineGbps / 8000;
    this.packetBytes = packetBytes;
    this.enabled = enabled;
    this.rate = this.lineRate;
    this.baseRttPs = baseRttGuessPs;
    this.#baseRttBoundPs = baseRttGuessPs;
    // Half a BDP at start bounds the first-RTT burst that makes sprayed incast worse (research §1.1, §5.3).
    this.inflightCap = enabled ? Math.max(packetBytes, 0.5 * this.lineRate * baseRttGuessPs) : Number.POSITIVE_INFINITY;
  }

  /** Starts the delivery clock when the context is created. */
  start(nowPs: number): void {
    this.#windowStartPs = nowPs;
    this.#deliveredPs = nowPs;
    this.#cleanSincePs = nowPs;
    this.#updatedPs = nowPs;
  }

  pacingRate(): number {
    return this.rate;
  }

  /** Stamps a transmission; an idle connection restarts the delivery clock so idle time is not counted. */
  onSent(stamp: RateStamp, inflightBeforeBytes: number, nowPs: number): void {
    if (inflightBeforeBytes === 0) this.#deliveredPs = nowPs;
    stamp.deliveredAtSend = this.#delivered;
    stamp.deliveredPsAtSend = this.#deliveredPs;
  }

  /** The sender ran out of data: its delivery rate says nothing about the network until the next cut. */
  onAppLimited(): void {
    this.#appLimited = true;
  }

  /** Bytes declared lost (gap or timeout) left the network: settled for the delivery samples, never a cut. */
  onLost(bytes: number): void {
    this.#delivered += bytes;
  }

  /** An ACK's RTT sample for a packet sent at `txPs` (min filter over ≈ 10 ms in two half windows). */
  onRtt(rttPs: number, txPs: number, nowPs: number): void {
    if (rttPs <= 0) return;
    if (nowPs - this.#windowStartPs > BASE_RTT_WINDOW_PS / 2) {
      this.#previousWindowMin = this.#windowMin;
      this.#windowMin = Number.POSITIVE_INFINITY;
      this.#windowStartPs = nowPs;
    }
    if (rttPs < this.#windowMin) this.#windowMin = rttPs;
    // Never above the unloaded RTT the fabric's configuration gives: a connection whose first samples come back
    // through a full queue (every sender of an incast after the first RTT) would otherwise take the queue for the
    // base, call that delay clean and keep its rate while the others cut — the late comer's advantage of delay-based
    // CC. Shorter paths than the configured diameter still lower it by measurement.
    this.baseRttPs = Math.min(this.#windowMin, this.#previousWindowMin, this.#baseRttBoundPs);
    this.#baseRttKnown = true;
    this.#sampleRttPs = rttPs;
    this.#sampleTxPs = txPs;
  }

  /** Bytes newly delivered by an ACK; with the transmission's stamp, a delivery-rate sample. */
  onDelivered(bytes: number, stamp: RateStamp | undefined, nowPs: number): void {
    this.#delivered += bytes;
    this.#deliveredPs = nowPs;
    this.#sampleBytes += bytes;
    if (stamp === undefined) return;
    const intervalPs = nowPs - stamp.deliveredPsAtSend;
    if (intervalPs <= 0) return;
    const sample = (this.#delivered - stamp.deliveredAtSend) / intervalPs;
    if (sample > this.#deliveryMax) this.#deliveryMax = sample;
  }

  /** Once per ACK, after onRtt/onDelivered: increase, cut or hold. True when it cut. */
  maybeUpdate(paths: PathSet, nowPs: number): boolean {
    const rttPs = this.#sampleRttPs;
    const ackedBytes = this.#sampleBytes;
    this.#sampleRttPs = 0;
    this.#sampleBytes = 0;
    if (!this.enabled || !this.#baseRttKnown || rttPs <= 0) return false;
    const limitPs = this.baseRttPs + TQ_PS;
    // The path choice skips congested EVs on flags the assessment sets: refresh them once per base RTT from the
    // samples of that RTT, so a flag from a passing queue does not keep an EV out for good.
    if (nowPs - this.#assessedPs >= this.baseRttPs) {
      paths.assess(this.baseRttPs, this.#assessedPs);
      this.#assessedPs = nowPs;
    }
    if (rttPs <= limitPs) {
      this.#increase(nowPs, ackedBytes);
      return false;
    }
    // Time above the limit earns no increase.
    this.#cleanSincePs = nowPs;
    this.#updatedPs = nowPs;
    // A packet sent before the last cut reports the queue that cut answered: wait for one sent under the new rate
    // (this also keeps cuts to one per RTT).
    if (this.#sampleTxPs < this.#lastCutPs) return false;
    // The majority is judged on paths sampled since the last cut, within the last few RTTs (not on samples from
    // long ago when there was no cut for a while).
    const sincePs = Math.max(this.#lastCutPs, nowPs - CC_MAJORITY_RTTS * this.baseRttPs);
    const [active, hot, medianRttPs] = paths.assess(this.baseRttPs, sincePs);
    this.#assessedPs = nowPs;
    if (hot * 2 <= active) return false;
    this.#cut(medianRttPs, nowPs);
    return true;
  }

  #increase(nowPs: number, ackedBytes: number): void {
    // The step is α per base RTT of time since the last update, not per ACK: a connection that hears back once every
    // few RTTs (a slow incast sender) climbs as fast as one that hears back often, so with one cut per congested
    // RTT for everyone the rates meet at the same point (the AIMD fairness argument needs a common step per time).
    // One update adds at most max(α, rate): a long silence does not turn into a burst.
    const elapsedPs = nowPs - this.#updatedPs;
    this.#updatedPs = nowPs;
    if (this.rate < this.lineRate) {
      // After clean RTTs in a row the step grows (TIMELY/Swift "hyperactive increase"), so a connection left alone
      // climbs back in a few RTTs instead of 100; any sample above the limit resets the run.
      const cleanRtts = Math.floor((nowPs - this.#cleanSincePs) / this.baseRttPs);
      const steps = cleanRtts < CC_HYPER_AFTER_RTTS ? 1 : Math.min(CC_INCREASE_STEPS_MAX, 2 + cleanRtts - CC_HYPER_AFTER_RTTS);
      const step = CC_ALPHA * this.lineRate * steps * (elapsedPs / this.baseRttPs);
      this.rate = Math.min(this.lineRate, this.rate + Math.min(step, Math.max(CC_ALPHA * this.lineRate, this.rate)));
    }
    this.#setCap(ackedBytes);
  }

  #cut(medianRttPs: number, nowPs: number): void {
    const excess = clamp((medianRttPs - this.baseRttPs - TQ_PS) / medianRttPs, CC_EXCESS_MIN, CC_EXCESS_MAX);
    // Cut from what the network delivered since the last cut when that is below the rate (research §5.3 cuts to
    // min(rate·(1−β·excess), deliveryRate)): a sender held by its in-flight cap sends below its rate, and cutting a
    // rate it does not use would leave it sending as before. A sender short of data delivers less for its own
    // reasons, so then the rate is the reference.
    const delivered = !this.#appLimited && this.#deliveryMax > 0 ? this.#deliveryMax : this.rate;
    const next = Math.min(this.rate, delivered) * (1 - CC_BETA * excess);
    this.rate = Math.max(this.lineRate * CC_RATE_MIN_FRACTION, next);
    this.cuts++;
    this.#lastCutPs = nowPs;
    this.#updatedPs = nowPs;
    this.#deliveryMax = 0;
    this.#appLimited = false;
    this.#setCap(0);
  }

  /**
   * Cap = rate × (baseRtt + Tq), growing by at most the bytes just ACKed (at most doubling per RTT, like slow start):
   * the first clean ACKs of an incast come back before the queue builds, and must not open every sender's cap to a
   * full BDP before the first congested sample arrives. One packet may always be in flight; a two-packet floor would
   * let 64 incast senders hold 1 MiB against a 512 KiB buffer, so the floor is one.
   */
  #setCap(growBytes: number): void {
    const target = Math.max(this.packetBytes, this.rate * (this.baseRttPs + TQ_PS));
    this.inflightCap = target > this.inflightCap ? Math.min(target, this.inflightCap + growBytes) : target;
  }
}

function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}
