// The four experiments of research/efa-srd.md §6 as pure functions of (id, seed, transport, encryption), their
// pictures, and the numbers the benchmarks and the CLI read.
import { EmuError } from '../../errors.ts';
import { runE1 } from './e1.ts';
import { runE2 } from './e2.ts';
import { runE3 } from './e3.ts';
import { runE4 } from './e4.ts';
import type { ExperimentOptions } from './harness.ts';
import type { ExperimentId, ExperimentResult } from './types.ts';

export { E1_SIZING, type E1Sizing, runE1 } from './e1.ts';
export { E2_SIZING, type E2Sizing, runE2 } from './e2.ts';
export { E3_SIZING, type E3Sizing, runE3 } from './e3.ts';
export { E4_SIZING, E4_TOPOLOGY, type E4Sizing, runE4 } from './e4.ts';
export { TRANSPORT_KINDS, buildWorld, baseRttPs, idealPs, fabricConfig, permutation, runUntil, type ExperimentOptions, type ExperimentWorld } from './harness.ts';
export { percentile, mean, jainIndex, cdfPoints } from './stats.ts';
export { SasChecker, RECV_WINDOW_MESSAGES } from './sas.ts';
export { EXPERIMENT_IDS, type ExperimentId, type ExperimentResult, type ExperimentSeries, type Metrics, type PerN } from './types.ts';
export { experimentSvg } from './pictures.ts';
export { checkSvg } from './svg.ts';

export function runExperiment(id: ExperimentId, options: ExperimentOptions): ExperimentResult {
  if (!Number.isSafeInteger(options.seed) || options.seed < 0 || options.seed > 2 ** 48) {
    throw new EmuError('EFA_EXPERIMENT_BAD_SEED', `seed must be an integer in 0..2^48, got ${options.seed}`);
  }
  switch (id) {
    case 'E1':
      return runE1(options);
    case 'E2':
      return runE2(options);
    case 'E3':
      return runE3(options);
    case 'E4':
      return runE4(options);
    default:
      throw new EmuError('EFA_EXPERIMENT_UNKNOWN', `unknown experiment ${JSON.stringify(id)}; known: E1, E2, E3, E4`);
  }
}
