export { runSwarm, WORKERS_FROM_RUNS, WORKERS_MAX, type SwarmOptions, type SwarmRun } from './runner.ts';
export { runSeed, SEED_EVENTS_MAX, type SeedResult, type SeedRunOptions, type SeedViolation } from './run-seed.ts';
export { samplePlan, describePlan, EMPTY_PLAN, type SwarmPlan } from './plan.ts';
export {
  buildReport,
  digestOfSeeds,
  parseShard,
  reproCommand,
  shardSeeds,
  SWARM_SEEDS_MAX,
  SWARM_SHARDS_MAX,
  type SeedRange,
  type SwarmReport,
  type SwarmViolation,
} from './report.ts';
export { mergeReports, parseShardReport } from './merge.ts';
