import {
  BASE_RTT_WINDOW_PS,
  CC_ALPHA,
  CC_BETA,
  CC_DELIVERY_DEFICIT,
  CC_PROBE_EVERY_UPDATES,
  CC_PROBE_GAIN,
  CC_RATE_MIN_FRACTION,
  TQ_PS,
} from './constants.ts';
import type { PathSet } from './paths.ts';

/**
 * Rate-based congestion control with an in-flight cap (research/efa-srd.md §5.3, "somewhat similar to BBR").
 * Rates are bytes per picosecond. Two signals cut the rate: RTT above baseRtt + Tq on most active paths, and a
 * delivery rate below 0.9 × the rate the sender actually paced at. Loss is not a signal: it reroutes instead.
 */
export class Congestion {
  readonly lineRate: number;
  readonly packetBytes: number;
  readonly enabled: boolean;
  rate: number;
  inflightCap: number;
  baseRttPs: number;
  #baseRttKnown = false;
  #windowMin = Number.POSITIVE_INFINITY;
  #windowStartPs = 0;
  #previousWindowMin = Number.POSITIVE_INFINITY;
  #epochStartPs = 0;
  #ackedBytes = 0;
  #sentBytes = 0;
  #updates = 0;
  #probing = false;
  #prevSentRate = 0;
  #prevPaced = false;
  cuts = 0;

  constructor(lineGbps: number, packetBytes: number, baseRttGuessPs: number, enabled: boolean) {
    this.lineRate = lineGbps / 8000;
    this.packetBytes = packetBytes;
    this.enabled = enabled;
    this.rate = this.lineRate;
    this.baseRttPs = baseRttGuessPs;
    // Half a BDP at start bounds the first-RTT burst that makes sprayed incast worse (research §1.1, §5.3).
    this.inflightCap = enabled ? Math.max(2 * packetBytes, 0.5 * this.lineRate * baseRttGuessPs) : Number.POSITIVE_INFINITY;
  }

  /** Starts the first CC epoch when the context first sends. */
  start(nowPs: number): void {
    this.#epochStartPs = nowPs;
    this.#windowStartPs = nowPs;
  }

  /** Pacing rate now: the probe epoch runs at 1.25 × rate. */
  pacingRate(): number {
    return this.#probing ? this.rate * CC_PROBE_GAIN : this.rate;
  }

  onSent(bytes: number): void {
    this.#sentBytes += bytes;
  }

  /** Feeds one RTT sample (min filter over ≈ 10 ms in two half windows) and the bytes this ACK settled. */
  onAck(rttPs: number, ackedBytes: number, nowPs: number): void {
    this.#ackedBytes += ackedBytes;
    if (rttPs <= 0) return;
    if (nowPs - this.#windowStartPs > BASE_RTT_WINDOW_PS / 2) {
      this.#previousWindowMin = this.#windowMin;
      this.#windowMin = Number.POSITIVE_INFINITY;
      this.#windowStartPs = nowPs;
    }
    if (rttPs < this.#windowMin) this.#windowMin = rttPs;
    this.baseRttPs = Math.min(this.#windowMin, this.#previousWindowMin);
    this.#baseRttKnown = true;
  }

  /** At most once per base RTT: updates rate and cap from the path set's view. Returns true when it cut. */
  maybeUpdate(paths: PathSet, nowPs: number): boolean {
    if (!this.enabled || !this.#baseRttKnown) return false;
    const epochPs = nowPs - this.#epochStartPs;
    if (epochPs < this.baseRttPs) return false;
    const deliveryRate = this.#ackedBytes / epochPs;
    // ACKs lag sends by about one RTT (one epoch): compare this epoch's delivery with the previous epoch's sending,
    // and only when that epoch was paced (not held back by the application or the in-flight cap).
    const paced = this.#prevPaced;
    const sentRate = Math.min(this.#prevSentRate, this.rate);
    this.#prevSentRate = this.#sentBytes / epochPs;
    this.#prevPaced = this.#sentBytes >= 0.8 * this.pacingRate() * epochPs;
    const [active, congestedCount, medianRtt] = paths.assess(this.baseRttPs, nowPs - 2 * epochPs);
    const rttSignal = active > 0 && congestedCount * 2 > active;
    const rateSignal = paced && deliveryRate < CC_DELIVERY_DEFICIT * sentRate;
    let cut = false;
    if (rttSignal || rateSignal) {
      const excess = medianRtt > 0 ? clamp((medianRtt - this.baseRttPs - TQ_PS) / medianRtt, 0.05, 0.5) : 0.05;
      let next = this.rate * (1 - CC_BETA * excess);
      if (paced && deliveryRate < next) next = deliveryRate;
      this.rate = Math.max(this.lineRate * CC_RATE_MIN_FRACTION, next);
      this.cuts++;
      cut = true;
    } else {
      this.rate = Math.min(this.lineRate, this.rate + CC_ALPHA * this.lineRate);
    }
    this.#updates++;
    this.#probing = !cut && this.#updates % CC_PROBE_EVERY_UPDATES === 0;
    const capRate = this.#probing ? this.rate * CC_PROBE_GAIN : this.rate;
    this.inflightCap = Math.max(2 * this.packetBytes, capRate * (this.baseRttPs + TQ_PS));
    this.#epochStartPs = nowPs;
    this.#ackedBytes = 0;
    this.#sentBytes = 0;
    return cut;
  }
}

function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}
