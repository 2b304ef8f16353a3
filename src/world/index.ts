export { World, DOCUMENT_MAX_AGE_MS } from './world.ts';
export { MessageLog, MESSAGES_MAX, type MessageEvent } from './messages.ts';
export { runFlow, type FlowReport, type FlowStep } from './flow.ts';
export { ALL_DEFENCES, DEFENCE_NAMES, ACCOUNT_ID, type WorldDefences, type WorldOptions } from './options.ts';
export { checkInvariants, type InvariantVerdict } from './invariants.ts';
export { generateModelFile, parseModelFile, inferReference, DEFAULT_MODEL_SHAPE, type Model, type ModelShape } from './model.ts';
export { attestedKeyPolicy, unattestedKeyPolicy } from './policies.ts';
export { InferenceClient } from './client.ts';
export { KmsEndpoint } from './kms-endpoint.ts';
export { standardVendor } from './accelerators.ts';
export {
  deployModel,
  launchEnclave,
  clientInference,
  scanParentMemory,
  teardownEnclave,
  ENCRYPTION_CONTEXT,
  WEIGHTS_AAD,
  PATHS,
  type Deployment,
  type LaunchedEnclave,
  type InferenceOutcome,
} from './phases.ts';
export { openRelayControl, startParentServices, type RelayControl, type RelayDirection } from './parent-services.ts';
