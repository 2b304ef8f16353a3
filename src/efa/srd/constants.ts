// SRD model constants (research/efa-srd.md §5.3–5.4). AWS publishes none of these; they are the research note's
// assumptions, labelled as such, and every experiment reads them from here.
import { PS_PER_MS, PS_PER_US } from '../contracts.ts';

/** RTO floor ≈ 4× the 15 µs base RTT; ceiling 5 ms. */
export const RTO_MIN_PS = 64 * PS_PER_US;
export const RTO_MAX_PS = 5 * PS_PER_MS;
/** Timeouts of one PSN before the work request completes with REMOTE_UNRESPONSIVE (UEC uses 5). */
export const TIMEOUTS_PER_PSN_MAX = 8;
/** Queueing allowance over base RTT before a path counts as congested (≈ 50 KB at 100 G). */
export const TQ_PS = 4 * PS_PER_US;
export const ENTROPY_VALUES_DEFAULT = 32;
export const ENTROPY_VALUES_MAX = 64;
/** One timeout penalises an EV for this many RTOs; two in a row take it down for EV_DOWN_PS, then one probe. */
export const PENALTY_RTOS = 4;
export const EV_DOWN_PS = 1 * PS_PER_MS;
/**
 * Per-EV loss EWMA (one step per ACK or loss) and when a detected loss also penalises its EV (gray failures): the
 * EV's EWMA must exceed both an absolute level and LOSS_PENALTY_RELATIVE × the context's loss rate (one random loss
 * lifts an EV's EWMA to ≈ 6%, about 6 × a 1% rate spread over all paths, so it often passes; a path that loses
 * where the others do not passes at once).
 */
export const LOSS_EWMA_GAIN = 1 / 16;
export const LOSS_PENALTY_LEVEL = 0.02;
export const LOSS_PENALTY_RELATIVE = 5;
/** The context-wide loss rate the relative test compares with: an EWMA over every ACK and loss of the context. */
export const LOSS_CONTEXT_GAIN = 1 / 256;
/** A loss penalty lasts PENALTY_RTOS RTOs × (EWMA / level), at most this factor. */
export const PENALTY_SCALE_MAX = 16;
/** CC: additive increase per RTT (fraction of line rate) and multiplicative cut gain β·excess. */
export const CC_ALPHA = 0.02;
/**
 * After CC_HYPER_AFTER_RTTS + k clean base RTTs in a row the step is min(2^(k+1), this) × α (our addition; research
 * §5.3 has plain α): a connection left alone after the others finished reaches line rate in a dozen RTTs.
 */
export const CC_INCREASE_STEPS_MAX = 64;
/** The faster increase starts only after this many clean base RTTs (shorter clean runs are an incast's oscillation). */
export const CC_HYPER_AFTER_RTTS = 4;
export const CC_BETA = 0.5;
/** excess = (rtt − baseRtt − Tq) / rtt, clamped to these bounds (research §5.3). */
export const CC_EXCESS_MIN = 0.05;
export const CC_EXCESS_MAX = 0.5;
/** A cut needs most paths sampled within this many base RTTs (and since the last cut) above baseRtt + Tq. */
export const CC_MAJORITY_RTTS = 4;
/**
 * Flow-based scaling of the delay target (Swift, SIGCOMM'20; our addition to research §5.3): up to CC_FLOW_SCALE_PS
 * more queueing is tolerated as the rate-implied window (rate × baseRtt, in packets) falls from
 * CC_FLOW_SCALE_WINDOW_MAX to CC_FLOW_SCALE_WINDOW_MIN, scaled by 1/√window.
 */
export const CC_FLOW_SCALE_PS = 20 * PS_PER_US;
export const CC_FLOW_SCALE_WINDOW_MIN = 0.05;
export const CC_FLOW_SCALE_WINDOW_MAX = 20;
/** The slowest a connection may be cut to, as a fraction of line rate. */
export const CC_RATE_MIN_FRACTION = 1 / 1000;
/** baseRtt is a min filter over this window. */
export const BASE_RTT_WINDOW_PS = 10 * PS_PER_MS;
/**
 * Receiver dedup window in PSNs (a bitmap) and the sender's bound on nextPsn − oldest unresolved PSN: the two must
 * match, or a PSN could fall outside the window while still outstanding.
 */
export const PSN_WINDOW = 1 << 14;
/** Largest message one work request may carry (the device's RDMA maximum, research §2.2). */
export const MESSAGE_BYTES_MAX = 1 << 30;
/**
 * Crypto bytes (16 B security header + 16 B tag) counted in FabricConfig.headerBytes: SRD sizes a packet without
 * them and a PacketProtector's seal adds them back (src/efa/secure's SECURE_LINK_OVERHEAD_BYTES, same value).
 */
export const CRYPTO_OVERHEAD_BYTES = 32;
