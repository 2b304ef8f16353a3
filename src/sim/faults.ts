import { EmuError } from '../errors.ts';
import type { Prng } from './prng.ts';

/** Probability of a fault at a named site, as an integer ratio (no floats, TigerBeetle-style). */
export interface FaultRate {
  readonly numerator: number;
  readonly denominator: number;
}

/** Which fault sites are armed and how often they fire. Sites are dotted names such as `vsock.drop`. */
export type FaultPlan = Readonly<Record<string, FaultRate>>;

export class Faults {
  readonly plan: FaultPlan;
  readonly #prng: Prng;
  readonly #fired = new Map<string, number>();
  #paused = 0;

  constructor(plan: FaultPlan, prng: Prng) {
    for (const [site, rate] of Object.entries(plan)) {
      const ok =
        Number.isSafeInteger(rate.numerator) &&
        Number.isSafeInteger(rate.denominator) &&
        rate.denominator > 0 &&
        rate.numerator >= 0 &&
        rate.numerator <= rate.denominator;
      if (!ok) throw new EmuError('SIM_BAD_FAULT_PLAN', `fault site ${site} has an invalid rate`, { site });
    }
    this.plan = plan;
    this.#prng = prng;
  }

  /** Draws only for armed sites, so an empty plan consumes no randomness and changes no trace. */
  maybe(site: string): boolean {
    const rate = this.plan[site];
    if (rate === undefined || rate.numerator === 0 || this.#paused > 0) return false;
    const fire = this.#prng.chance(rate.numerator, rate.denominator);
    if (fire) this.#fired.set(site, (this.#fired.get(site) ?? 0) + 1);
    return fire;
  }

  /** True when some site can fire (a non-empty plan that is not paused). */
  get active(): boolean {
    return this.#paused === 0 && Object.values(this.plan).some((rate) => rate.numerator > 0);
  }

  /**
   * Holds every site quiet while set-up that is not under test runs (the owner's deployment); nests.
   * While paused nothing draws, exactly as with an empty plan.
   */
  pause(): void {
    this.#paused++;
  }

  resume(): void {
    if (this.#paused > 0) this.#paused--;
  }

  /** A bounded amount for a fault that fired (extra latency, a hold time): uniform in [0, bound). */
  amount(bound: number): number {
    return this.#prng.below(bound);
  }

  fired(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.#fired.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
