export * from './cost.ts';
export { CHANNEL_LABELS, type ChannelLabel, type ChannelKey, deriveChannelKey } from './channel-keys.ts';
export { type LockstepLimits, type LockstepState, DEFAULT_LIMITS, LockstepChannel } from './lockstep.ts';
