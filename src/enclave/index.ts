// Public entry of src/enclave: enclave images (EIF), their measurements, the NSM device and client, and the
// realm that runs an enclave application. The runtime that wires these to the hypervisor and vsock lives in
// runtime*.ts (another part).
export { Crc32, crc32 } from './crc32.ts';
export {
  EIF_BYTES_MAX,
  EIF_HEADER_BYTES,
  EIF_MAGIC,
  EIF_SECTION_HEADER_BYTES,
  EIF_SECTIONS_MAX,
  EIF_VERSION,
  EifSectionType,
  type EifLayout,
  type EifLayoutInput,
  type EifSection,
  crcOfImage,
  decodeEifLayout,
  eifSectionTypeName,
  encodeEifLayout,
} from './eif-layout.ts';
export {
  type EifBuildMetadata,
  type EifIdentityInfo,
  decodeMetadata,
  encodeMetadata,
  identityInfo,
  rfc3339Utc,
} from './eif-metadata.ts';
export {
  type EifSignatureEntry,
  type EifSigningInput,
  type SignatureCheck,
  checkSignatureSection,
  decodeSignatureSection,
  encodePcrInfo,
  encodeSignatureSection,
  signPcr0,
  signingCertificateDer,
} from './eif-signature.ts';
export { type BuiltEif, type EifFile, type EifParts, buildEif, parseEif, readEif } from './eif.ts';
export {
  type EifMeasurements,
  NITRO_CLI_HASH_ALGORITHM,
  measureSections,
  measurementsJson,
  pcrOfBytes,
} from './measurements.ts';
export { type CpioEntry, type CpioFile, readCpio, writeCpio } from './cpio.ts';
export {
  type AppFile,
  type BuildEnclaveImageOptions,
  type EnclaveApp,
  DEFAULT_KERNEL_CMDLINE,
  EMULATED_KERNEL,
  ENCLAVE_RUNTIME_ABI_VERSION,
  appRamdisk,
  bootstrapRamdisk,
  buildEnclaveImage,
  buildEnclaveImageWithMeasurements,
  loadEnclaveApp,
} from './image.ts';
export { type AppFolder, DEFAULT_ENTRY, defaultEnclaveImage, readAppFolder } from './app-folder.ts';
export { type SigningCertificateInfo, describeEifJson, opensslTime, signingCertificateInfo } from './describe.ts';
export {
  NSM_ATTESTATION_FIELD_BYTES_MAX,
  NSM_ERROR_NAMES,
  NSM_PCR_COUNT,
  NSM_PLATFORM_PCR_COUNT,
  NSM_RANDOM_BYTES,
  NSM_REQUEST_BYTES_MAX,
  NSM_RESPONSE_BYTES_MAX,
  type NsmDescription,
  type NsmErrorName,
  type NsmVersions,
  nsmErrorCode,
} from './nsm-wire.ts';
export { type AttestationIssuer, type NsmDeviceOptions, NSM_DEFAULT_VERSIONS, NsmDevice } from './nsm.ts';
export { NsmClient, type NsmTransport } from './nsm-client.ts';
export { ENCLAVE_APP_SYNC_TIMEOUT_MS, runEnclaveApp } from './realm.ts';
export { type LoadedEnclaveImage, loadEnclaveImage } from './image-loader.ts';
export { EnclaveRuntime, type EnclaveBootOptions, type EnclaveMemory, type EnclaveRunState } from './runtime.ts';
export { promptTokens, NEW_TOKENS_MAX } from './runtime-accel.ts';
export { parseDevicePolicy, DEVICE_POLICY_FILE, type ParsedDevicePolicy } from './device-policy.ts';
export type { EnclaveAbi, AbiConnection, EnclaveLibrary, SecureChannelConnectOptions } from './runtime-abi.ts';
export { type MonotonicCounter, PlatformCounters } from './runtime-counter.ts';
export { KMS_SERVER_NAME_PATTERN, defaultAppKeysFromSeed, seededRandomSource } from './runtime-library.ts';
export { SEALED_STATE_BYTES_MAX, openSealedState, sealState, sealedStateKey } from './runtime-sealed-state.ts';
export {
  type AppDefences,
  ALL_APP_DEFENCES,
  APP_CONFIG_FILE,
  APP_DEFENCE_NAMES,
  APP_KMS_ROOT_FILE,
  appConfigBytes,
  enclaveImageForAppDefences,
  pickAppDefences,
} from './runtime-app-config.ts';
