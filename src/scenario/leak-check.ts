import type { Ledger } from './ledger.ts';
import { TCB, type Principal } from './principals.ts';

export interface Leak {
  readonly canary: string;
  readonly canaryOwner: Principal;
  readonly principal: Principal;
  readonly channel: string;
  readonly encoding: string;
  readonly observationSeq: number;
}

/** INV-NO-CANARY: no canary in the ledger of any principal outside the TCB other than the canary's owner. Reads only. */
export function findLeaks(ledger: Ledger): Leak[] {
  const owners = new Map(ledger.canaries.all.map((c) => [c.name, c.owner]));
  const leaks: Leak[] = [];
  for (const observation of ledger.observations) {
    if (TCB.has(observation.principal)) continue;
    for (const hit of observation.canaryHits) {
      const owner = owners.get(hit.canary);
      if (owner === undefined || owner === observation.principal) continue;
      leaks.push({
        canary: hit.canary,
        canaryOwner: owner,
        principal: observation.principal,
        channel: observation.channel,
        encoding: hit.encoding,
        observationSeq: observation.seq,
      });
    }
  }
  return leaks;
}
