export * from './cost.ts';
export { CHANNEL_LABELS, type ChannelLabel, type ChannelKey, deriveChannelKey } from './channel-keys.ts';
export { type LockstepLimits, type LockstepState, DEFAULT_LIMITS, LockstepChannel } from './lockstep.ts';
export { PAGE_BYTES, ProtectedMemory } from './protected-memory.ts';
export { StagingBuffers, type StagingOrigin, type StagingWatcher } from './staging.ts';
export { readyProof } from './ready.ts';
export { EmulatedAccelerator, createAcceleratorDevice, connectPeers } from './device.ts';
export {
  type AcceleratorDeviceOptions, DEFAULT_RING_SLOTS, DEFAULT_STAGING_SLOTS, DEFAULT_LINK_SLOTS, DEFAULT_TRANSFER_BYTES_MAX,
  MGMT_READ_BYTES_MAX,
} from './device-options.ts';
export {
  type Vendor, type ReferenceManifest, type ModifiedSigning, createVendor, CURRENT_SVN, VULNERABLE_SVN,
} from './vendor.ts';
export {
  type BridgeProfile, type DeviceProfile, GPU_BRIDGE, GPU_PROFILE, TRAINIUM_PROFILE, deviceProfile,
} from './flavours.ts';
export { type AcceleratorDefences, DEFAULT_DEFENCES } from './defences.ts';
export { firmwareDigestHex, firmwareSignatureValid, signFirmware, FIRMWARE_CODE_BYTES_MAX } from './firmware.ts';
export {
  type OpaqueClaims, MEASUREMENT_INDEX, MEASUREMENT_COUNT, OPAQUE_TYPE, measurementRecords, measurementMap,
  parseOpaqueTlvs, readOpaqueClaims,
} from './measurements.ts';
export {
  type DeviceStatus, encodeDeviceCommand, decodeDeviceCommand, encodeDeviceStatus, decodeDeviceStatus,
  LINK_SECRET_BYTES_MIN, LINK_SECRET_BYTES_MAX,
} from './device-commands.ts';
export { sealWithWireIv, WIRE_IV_BYTES } from './device-session.ts';
export { type PeerChannels, derivePeerChannels } from './peer-link.ts';
export * from './driver/index.ts';
export * from './kernels/index.ts';
export * from './spdm/index.ts';
export * from './endorsement.ts';
export type * from './types.ts';
