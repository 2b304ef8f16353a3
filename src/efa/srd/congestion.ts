// NOTE from the experiments (src/efa/experiments, `nitro-emu fabric experiment E3|E4`, SRD at commit 0a1a1fb, seeds
// 1/2/3, encryption on): two research §6 bars are missed and asserted as `it.fails` in test/efa/experiments.test.ts.
// - E3, 8 parallel connections (leaf A → leaf B permutation, closed loop of 8 × 64 KiB): goodput 0.80/0.74/0.76 of
//   line rate at 1% loss (bar ≥ 0.95; one connection alone: 0.97). Even at 0% loss it is 0.87: one connection's rate
//   is cut to ~53 Gb/s (16 rateCuts in 1 ms) and does not climb back while the other seven run at 100 Gb/s.
// - E4 incast, 1 MiB per sender: completion 1.18/1.24/1.36 × ideal (bar ≤ 1.3); Jain's index of steady-state rates
//   at N = 64 is 0.78 (bar ≥ 0.95), with 60% of bytes retransmitted (research expects < 1%).
// E1 median FCT sits on its bar: 1.20/1.23/1.20 × ideal (bar ≤ 1.2); E2 recovers in 90–100 µs at 50% offered load.
import {
  BASE_RTT_WINDOW_PS,
  CC_ALPHA,
  CC_BETA,
  CC_CUT_FLOOR,
  CC_DELIVERY_DEFICIT,
  CC_EPOCH_PACKETS_MIN,
  CC_EPOCH_RTTS_MAX,
  CC_INCREASE_STEPS_MAX,
  CC_PROBE_EVERY_UPDATES,
  CC_PROBE_GAIN,
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
 * Rate-based congestion control with an in-flight cap (research/efa-srd.md §5.3, "somewhat similar to BBR").
 * Rates are bytes per picosecond. Two signals cut the rate: the latest RTT above baseRtt + Tq on most active
 * paths, and a delivery rate (windowed max of per-ACK samples over the epoch) below 0.9 × rate while the sender
 * had data to send. Loss is not a signal: it reroutes instead.
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
  #windowMin = Number.POSITIVE_INFINITY;
  #windowStartPs = 0;
  #previousWindowMin = Number.POSITIVE_INFINITY;
  #delivered = 0;
  #deliveredPs = 0;
  #epochStartPs = 0;
  #epochAckedBytes = 0;
  #epochMaxDeliveryRate = 0;
  #epochAppLimited = false;
  #epochLostBytes = 0;
  #cleanStreak = 0;
  #updates = 0;
  #probing = false;

  constructor(lineGbps: number, packetBytes: number, baseRttGuessPs: number, enabled: boolean) {
    this.lineRate = lineGbps / 8000;
    this.packetBytes = packetBytes;
    this.enabled = enabled;
    this.rate = this.lineRate;
    this.baseRttPs = baseRttGuessPs;
    // Half a BDP at start bounds the first-RTT burst that makes sprayed incast worse (research §1.1, §5.3).
    this.inflightCap = enabled ? Math.max(2 * packetBytes, 0.5 * this.lineRate * baseRttGuessPs) : Number.POSITIVE_INFINITY;
  }

  /** Starts the first epoch when the context is created. */
  start(nowPs: number): void {
    this.#epochStartPs = nowPs;
    this.#windowStartPs = nowPs;
    this.#deliveredPs = nowPs;
  }

  /** Pacing rate now: the probe epoch runs at 1.25 × rate. */
  pacingRate(): number {
    return this.#probing ? this.rate * CC_PROBE_GAIN : this.rate;
  }

  /** Stamps a transmission; an idle connection restarts the delivery clock so idle time is not counted. */
  onSent(stamp: RateStamp, inflightBeforeBytes: number, nowPs: number): void {
    if (inflightBeforeBytes === 0) this.#deliveredPs = nowPs;
    stamp.deliveredAtSend = this.#delivered;
    stamp.deliveredPsAtSend = this.#deliveredPs;
  }

  /** The sender ran out of data this epoch: its delivery rate says nothing about the network. */
  onAppLimited(): void {
    this.#epochAppLimited = true;
  }

  /**
   * Bytes declared lost (gap or timeout). They left the network, so they count as settled for the delivery-rate
   * samples: only bytes neither delivered nor lost (a growing queue) open a deficit, and loss alone never cuts.
   */
  onLost(bytes: number): void {
    this.#delivered += bytes;
    this.#epochLostBytes += bytes;
  }

  /** An RTT sample (min filter over ≈ 10 ms in two half windows); `rttPs` ≤ 0 means none. */
  onRtt(rttPs: number, nowPs: number): void {
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

  /** Bytes newly delivered by an ACK; with the transmission's stamp, a delivery-rate sample. */
  onDelivered(bytes: number, stamp: RateStamp | undefined, nowPs: number): void {
    this.#delivered += bytes;
    this.#deliveredPs = nowPs;
    this.#epochAckedBytes += bytes;
    if (stamp === undefined) return;
    const intervalPs = nowPs - stamp.deliveredPsAtSend;
    if (intervalPs <= 0) return;
    const sample = (this.#delivered - stamp.deliveredAtSend) / intervalPs;
    if (sample > this.#epochMaxDeliveryRate) this.#epochMaxDeliveryRate = sample;
  }

  /** At most once per epoch (≥ one base RTT): updates rate and cap from the path set's view. True when it cut. */
  maybeUpdate(paths: PathSet, nowPs: number): boolean {
    if (!this.enabled || !this.#baseRttKnown) return false;
    const epochPs = nowPs - this.#epochStartPs;
    if (epochPs < this.baseRttPs) return false;
    // A delivery estimate needs a few ACKed packets, unless ACKs became so sparse that the epoch ran several RTTs
    // (that sparseness is itself the news).
    const longEpoch = epochPs >= CC_EPOCH_RTTS_MAX * this.baseRttPs;
    if (!longEpoch && this.#epochAckedBytes < CC_EPOCH_PACKETS_MIN * this.packetBytes) return false;
    const [active, congestedCount, assessedRtt] = paths.assess(this.baseRttPs, this.#epochStartPs);
    // The epoch ends once a packet sent in it was ACKed (one real RTT under the current rate). If none was in
    // several base RTTs while older packets kept being ACKed, the queue is at least that long: congestion, with
    // the epoch as the RTT estimate. If nothing at all came back, that is loss or a dead path: no verdict.
    if (active === 0 && !longEpoch) return false;
    const queuedBehind = active === 0 && this.#epochAckedBytes > 0;
    const rttSignal = queuedBehind || (active > 0 && congestedCount * 2 > active);
    const medianRtt = active === 0 ? epochPs : assessedRtt;
    const deliveryRate = this.#epochMaxDeliveryRate;
    // Startup (the half-BDP cap) and app-limited epochs deliver below the rate for reasons that are not congestion;
    // so does an epoch with losses while every fresh RTT is clean (random loss, a gray link): loss never cuts.
    const lossExplained = this.#epochLostBytes > 0 && active > 0 && congestedCount === 0;
    const rateSignal =
      this.#updates >= 2 &&
      !this.#epochAppLimited &&
      !lossExplained &&
      active > 0 &&
      deliveryRate < CC_DELIVERY_DEFICIT * this.rate;
    const noVerdict = active === 0 && !queuedBehind;
    let cut = false;
    if (noVerdict) {
      // Hold the rate: neither evidence of congestion nor of spare capacity.
    } else if (rttSignal || rateSignal) {
      const excess = medianRtt > 0 ? clamp((medianRtt - this.baseRttPs - TQ_PS) / medianRtt, 0.05, 0.5) : 0.05;
      // Cut from what the network delivered when that is below the rate (a cap-limited sender's rate says little);
      // each per-ACK sample spans at least an RTT, so one is already an estimate.
      const reference = deliveryRate > 0 && deliveryRate < this.rate ? deliveryRate : this.rate;
      const next = reference * (1 - CC_BETA * excess);
      // One update cuts to a quarter at most: a single odd epoch must not collapse the connection.
      this.rate = Math.max(this.lineRate * CC_RATE_MIN_FRACTION, this.rate * CC_CUT_FLOOR, next);
      this.cuts++;
      cut = true;
      this.#cleanStreak = 0;
    } else {
      // Additive increase, faster after sustained clean epochs (TIMELY/Swift "hyperactive increase"): a connection
      // left alone after others finished climbs back in a few RTTs instead of 50; contention resets the streak.
      this.#cleanStreak++;
      const steps = Math.min(this.#cleanStreak, CC_INCREASE_STEPS_MAX);
      this.rate = Math.min(this.lineRate, this.rate + steps * CC_ALPHA * this.lineRate);
    }
    this.#updates++;
    this.#probing = !cut && this.#updates % CC_PROBE_EVERY_UPDATES === 0;
    const capRate = this.#probing ? this.rate * CC_PROBE_GAIN : this.rate;
    this.inflightCap = Math.max(2 * this.packetBytes, capRate * (this.baseRttPs + TQ_PS));
    this.#epochStartPs = nowPs;
    this.#epochAckedBytes = 0;
    this.#epochMaxDeliveryRate = 0;
    this.#epochAppLimited = false;
    this.#epochLostBytes = 0;
    return cut;
  }
}

function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}
