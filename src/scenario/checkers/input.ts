import type { World } from '../../world/index.ts';
import type { ScenarioRecords } from './records.ts';

/** The parts of a world checkers read (a whole `World` fits; the demo's flow passes its pieces). */
export interface CheckedWorld {
  readonly ledger: World['ledger'];
  readonly host: World['host'];
  readonly kms: World['kms'];
  readonly approvedPcr0: string;
  readonly arns: { readonly owner: string };
}

/** What every checker reads: the world after the run, and what the scenario filed. Checkers never write. */
export interface CheckInput {
  readonly world: CheckedWorld;
  readonly records: ScenarioRecords;
  /** Frames of enclaves terminated during the run, when the caller tracked them itself (else the host's record). */
  readonly releasedFrames?: readonly number[];
}
