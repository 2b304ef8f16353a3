import type { Host } from '../hypervisor/index.ts';
import type { KmsService } from '../kms/index.ts';
import { checkAudit, checkKeysAttested, checkNoCanary, checkScrub, emptyRecords, findLeaks, type CheckInput, type Leak, type Ledger } from '../scenario/index.ts';

export interface InvariantVerdict {
  readonly held: boolean;
  readonly detail: string;
}

export interface InvariantInputs {
  readonly ledger: Ledger;
  readonly host: Host;
  readonly kms: KmsService;
  readonly approvedPcr0: string;
  readonly ownerArn: string;
  /** Frames of enclaves that were terminated during the run. */
  readonly releasedFrames: readonly number[];
  readonly maxDocumentAgeMs: number;
}

/**
 * The flow's invariants, by the scenario engine's checkers (src/scenario/checkers): the same code
 * judges the demo, every scenario and the swarm. Checkers only read.
 */
export function checkInvariants(input: InvariantInputs): { verdicts: Record<string, InvariantVerdict>; leaks: Leak[] } {
  const world = { ledger: input.ledger, host: input.host, kms: input.kms, approvedPcr0: input.approvedPcr0, arns: { owner: input.ownerArn } };
  const checkInput: CheckInput = { world, records: emptyRecords(), releasedFrames: input.releasedFrames };
  const verdicts: Record<string, InvariantVerdict> = {};
  for (const check of [checkNoCanary, checkKeysAttested, checkAudit, checkScrub]) {
    for (const v of check(checkInput)) verdicts[v.invariant] = { held: v.held, detail: v.detail };
  }
  return { verdicts, leaks: findLeaks(input.ledger) };
}
