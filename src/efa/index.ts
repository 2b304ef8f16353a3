// The EFA/SRD fabric's public entry: each subfolder adds its export lines here.
export type * from './contracts.ts';
export { PS_PER_NS, PS_PER_US, PS_PER_MS } from './contracts.ts';
export * from './net/index.ts';
export * from './srd/index.ts';
export * from './baselines/index.ts';
export * from './secure/index.ts';
export * from './api/index.ts';
export * from './collective/index.ts';
export {
  runExperiment,
  runE1,
  runE2,
  runE3,
  runE4,
  E1_SIZING,
  E2_SIZING,
  E3_SIZING,
  E4_SIZING,
  EXPERIMENT_IDS,
  TRANSPORT_KINDS,
  experimentSvg,
  checkSvg,
  type ExperimentId,
  type ExperimentOptions,
  type ExperimentResult,
  type ExperimentSeries,
  type Metrics as ExperimentMetrics,
} from './experiments/index.ts';
