// `nitro-emu kms serve`: the KMS over real HTTP (AWS JSON 1.1) for the unmodified AWS SDK. Public entry.
export { startKmsServer, REQUEST_BODY_BYTES_MAX, type KmsServerOptions, type RunningKmsServer } from './server.ts';
export { DEFAULT_ACCESS_KEYS, accessKeyTable, parseAccessKeysJson, type AccessKey, type AccessKeyTable } from './access-keys.ts';
export { parseAuthorization, verifySignature, SIGNATURE_SKEW_MS_MAX, type ParsedAuthorization } from './sigv4.ts';
export {
  decodeStateFile,
  encodeStateFile,
  readStateFile,
  writeStateFile,
  STATE_FILE_MAGIC,
  STATE_FILE_VERSION,
  type ServedState,
} from './state-file.ts';
