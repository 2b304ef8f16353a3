import type { World } from '../../world/index.ts';
import type { ScenarioRecords } from './records.ts';

/** What every checker reads: the world after the run, and what the scenario filed. Checkers never write. */
export interface CheckInput {
  readonly world: World;
  readonly records: ScenarioRecords;
  /** Frames of enclaves terminated during the run, when the caller tracked them itself (else the host's record). */
  readonly releasedFrames?: readonly number[];
}
