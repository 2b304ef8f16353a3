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
    if (rate === undefined || rate.numerator === 0) return false;
    const fire = this.#prng.chance(rate.numerator, rate.denominator);
    if (fire) this.#fired.set(site, (this.#fired.get(site) ?? 0) + 1);
    return fire;
  }

  fired(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.#fired.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
