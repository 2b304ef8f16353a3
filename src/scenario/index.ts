export { PRINCIPALS, TCB, isPrincipal, type Principal } from './principals.ts';
export { CanarySet, CANARY_BYTES_MIN, type Canary, type CanaryEncoding } from './canary.ts';
export { Ledger, LEDGER_INLINE_BYTES_MAX, LEDGER_OBSERVATIONS_MAX, type LedgerWhenFull, type Observation, type PrincipalSummary } from './ledger.ts';
export { findLeaks, type Leak } from './leak-check.ts';
export {
  defineScenario,
  type AttackerHandles,
  type CheckVerdict,
  type CoTenantHandle,
  type DefenceName,
  type InvariantName,
  type OperatorHandle,
  type ParentAdminHandle,
  type PromiseId,
  type Scenario,
  type ScenarioContext,
  type ScenarioDefinition,
  type ScenarioMeta,
} from './define.ts';
export { runScenario, runScenarioOnce, runScenarios, type ObservationDigest, type RunOptions, type RunOutcome, type RunRecord, type ScenarioResult } from './runner.ts';
export { createContext, type RunContext } from './context.ts';
export { CO_TENANT_ROLE_ARN, coTenantHandle, handlesFor, operatorHandle, parentAdminHandle } from './capabilities.ts';
export {
  CHECKERS,
  runCheckers,
  describeLeak,
  checkAudit,
  checkDelivery,
  checkFailClosed,
  checkFresh,
  checkKeysAttested,
  checkLink,
  checkNoCanary,
  checkScrub,
  emptyRecords,
  type CheckedWorld,
  type CheckInput,
  type Checker,
  type DeliveryEvent,
  type FailClosedRecord,
  type LinkEvent,
  type ScenarioRecords,
} from './checkers/index.ts';
export { formatTable, reproCommand, resultsJson, type ResultsJson } from './report.ts';
export { junitXml, escapeXml } from './report-junit.ts';
export { ledgerReport, type LedgerReport, type LedgerRunReport } from './report-ledger.ts';
export { compileYamlScenario, YAML_BYTES_MAX, YAML_STEPS_MAX } from './yaml.ts';
export { ACTIONS as YAML_ACTIONS } from './yaml-actions.ts';
export { runCatalogueInPool, POOL_WORKERS_DEFAULT } from './pool.ts';
