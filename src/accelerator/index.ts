export * from './cost.ts';
export { CHANNEL_LABELS, type ChannelLabel, type ChannelKey, deriveChannelKey } from './channel-keys.ts';
export { type LockstepLimits, type LockstepState, DEFAULT_LIMITS, LockstepChannel } from './lockstep.ts';
export { PAGE_BYTES, ProtectedMemory } from './protected-memory.ts';
export { StagingBuffers } from './staging.ts';
export { readyProof } from './ready.ts';
export {
  type DeviceMode, type Principal, type CopyOp, type Descriptor, type Completion, type DeviceOptions,
  ConfidentialDevice,
} from './device.ts';
export * from './driver/index.ts';
export * from './kernels/index.ts';
export * from './spdm/index.ts';
