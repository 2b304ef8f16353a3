import { PIPE_FAULT_KINDS, PIPE_LINKS } from '../../ports/index.ts';
import { Prng, type FaultPlan, type FaultRate } from '../../sim/index.ts';

/**
 * One seed's fault plan. Swarm testing (Groce et al., 2012): the seed picks not only when faults
 * fire but which kinds exist at all, so each run explores a different configuration and a fault that
 * masks another (drops hide reorders) is absent from many runs. All times are virtual and relative to
 * the end of the owner's deployment (deployment itself runs fault-free: it is set-up, not under test).
 */
export interface SwarmPlan {
  /** Armed pipe fault sites (`pipe.drop`, `pipe.reorder.vsock`, …) with integer-ratio rates. */
  readonly sites: FaultPlan;
  /** The enclave dies `atNs` after its first launch; `restart`: the parent's supervisor relaunches it. */
  readonly enclaveCrash: { readonly atNs: number; readonly restart: boolean } | null;
  /** KMS refuses connections or drops replies for a window. */
  readonly kmsOutage: { readonly atNs: number; readonly durationNs: number; readonly mode: 'refuse' | 'drop' } | null;
  /** The parent's vsock-proxy dies at `atNs` and comes back `downNs` later. */
  readonly proxyCrash: { readonly atNs: number; readonly downNs: number } | null;
}

/** The virtual span in which the fault-free flow does its work after deployment (launch → inference ≈ 9 ms). */
const CRASH_WINDOW_NS = 15_000_000;
const RATE_DENOMINATORS = [4, 8, 16, 32, 64] as const;
const OUTAGE_DURATIONS_NS = [1_000_000, 10_000_000, 100_000_000, 3_000_000_000, 120_000_000_000] as const;
const PROXY_DOWN_NS = [1_000_000, 50_000_000, 1_000_000_000, 20_000_000_000] as const;

function pick<T>(prng: Prng, options: readonly T[]): T {
  return options[prng.below(options.length)]!;
}

/** The plan a seed stands for: a pure function of the seed (its own stream, independent of the world's). */
export function samplePlan(seed: number): SwarmPlan {
  const prng = new Prng(seed, 'swarm.plan');
  const sites: Record<string, FaultRate> = {};
  for (const kind of PIPE_FAULT_KINDS) {
    if (!prng.chance(1, 2)) continue;
    // A quarter of armed kinds hit every link; the rest target one (a lossy proxy, a flaky client path).
    const link = prng.chance(1, 4) ? null : pick(prng, PIPE_LINKS);
    sites[link === null ? `pipe.${kind}` : `pipe.${kind}.${link}`] = { numerator: 1, denominator: pick(prng, RATE_DENOMINATORS) };
  }
  const enclaveCrash = prng.chance(1, 3) ? { atNs: prng.below(CRASH_WINDOW_NS), restart: prng.chance(3, 4) } : null;
  const kmsOutage = prng.chance(1, 3)
    ? { atNs: prng.below(CRASH_WINDOW_NS), durationNs: pick(prng, OUTAGE_DURATIONS_NS), mode: prng.chance(1, 2) ? ('refuse' as const) : ('drop' as const) }
    : null;
  const proxyCrash = prng.chance(1, 3) ? { atNs: prng.below(CRASH_WINDOW_NS), downNs: pick(prng, PROXY_DOWN_NS) } : null;
  return { sites, enclaveCrash, kmsOutage, proxyCrash };
}

/** The empty plan: the flow exactly as the demo runs it, plus the swarm's supervision. */
export const EMPTY_PLAN: SwarmPlan = Object.freeze({ sites: {}, enclaveCrash: null, kmsOutage: null, proxyCrash: null });

/** One line for reports: `pipe.drop.vsock 1/8, enclave crash @3.2ms (restart), …`. */
export function describePlan(plan: SwarmPlan): string {
  const parts = Object.entries(plan.sites).map(([site, rate]) => `${site} ${rate.numerator}/${rate.denominator}`);
  const ms = (ns: number) => `${(ns / 1e6).toFixed(3)}ms`;
  if (plan.enclaveCrash) parts.push(`enclave crash @${ms(plan.enclaveCrash.atNs)}${plan.enclaveCrash.restart ? ' (restart)' : ' (no restart)'}`);
  if (plan.kmsOutage) parts.push(`KMS ${plan.kmsOutage.mode} @${ms(plan.kmsOutage.atNs)} for ${ms(plan.kmsOutage.durationNs)}`);
  if (plan.proxyCrash) parts.push(`proxy crash @${ms(plan.proxyCrash.atNs)} down ${ms(plan.proxyCrash.downNs)}`);
  return parts.length === 0 ? 'no faults' : parts.join(', ');
}
