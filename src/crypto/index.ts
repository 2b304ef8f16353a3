// The only folder that imports @noble/* or node:crypto. Everything else asks for primitives here.
export {
  type RandomSource,
  utf8,
  fromUtf8,
  toHex,
  fromHex,
  toBase64,
  fromBase64,
  concatBytes,
  equalBytes,
  wipe,
  indexOfBytes,
} from './bytes.ts';
export { sha256, sha384, sha256Hex, Sha256Stream } from './hash.ts';
export { PCR_LENGTH, zeroPcr, pcrExtend, isZeroPcr } from './pcr.ts';
export { type P384KeyPair, p384KeyPair, p384Sign, p384Verify, p384SharedSecret, p384Spki } from './ecdsa.ts';
export {
  type StrictCborOptions,
  type CborNode,
  decodeCborStrict,
  encodeCbor,
  parseCborTree,
  cborNodeToValue,
  CborTag,
} from './cbor.ts';
export {
  type CoseSign1,
  COSE_ALG_ES384,
  coseSigStructure,
  encodeCoseSign1Es384,
  decodeCoseSign1,
  verifyCoseSign1Es384,
} from './cose.ts';
export {
  type KeyUsageBits,
  type ParsedCertificate,
  parseCertificate,
  pemToDer,
  derToPem,
  verifyCertificateChain,
  ecdsaDerToRaw,
} from './x509.ts';
export {
  type IssuedCertificate,
  type NitroChainOptions,
  type NitroIntermediates,
  createEmulatedNitroRoot,
  createNitroIntermediates,
  issueEnclaveLeaf,
} from './pki.ts';
export {
  type AttestationDocument,
  type VerifiedAttestation,
  encodeAttestationPayload,
  signAttestationDocument,
  parseAttestationDocument,
  AttestationVerifier,
  ATTESTATION_DOC_BYTES_MAX,
} from './attestation-doc.ts';
export { type RsaKeyPair, generateRsaKeyPair, rsaOaepSha256Encrypt, rsaPublicKeyBits } from './rsa.ts';
export {
  type EnvelopedDataParts,
  buildEnvelopedData,
  parseEnvelopedData,
  openEnvelopedData,
  recipientKeyIdentifier,
} from './cms.ts';
export { aes256GcmSeal, aes256GcmOpen, hkdfSha384 } from './aead.ts';
export { type FramedHeader, encryptFramed, decryptFramedStream, decryptFramed } from './frames.ts';
export { type P384PrivateKey, parseP384PrivateKeyPem } from './pem-keys.ts';
export { type CertificateFields, certificateFields } from './cert-fields.ts';
export {
  type RevocationSource,
  type RevocationEntry,
  RevocationList,
  checkNotRevoked,
  REVOCATION_ENTRIES_MAX,
} from './revocation.ts';
export {
  type MessageTransport,
  type SecureClientOptions,
  type SecureServerOptions,
  SecureChannel,
  SCHAN_VERSION_1,
  SCHAN_SUITE_P384_AES256GCM_SHA384,
  isSecureChannelHello,
  secureChannelConnect,
  secureChannelAccept,
} from './secure-channel.ts';
export { RecordProtector, CONTENT_DATA, CONTENT_CLOSE } from './secure-channel-record.ts';
export { createEmulatedWebPkiRoot, issueServerLeaf, kmsServerName } from './secure-channel-pki.ts';
export { type CapturedSession, openCapturedSession } from './secure-channel-keylog.ts';
export { type SpdmMeasurementsTranscript, type SpdmVerification, parseSpdmMeasurements, verifySpdmMeasurements } from './spdm.ts';
export {
  type VendorPki,
  type VendorPkiOptions,
  type DiceTcbInfo,
  createVendorPki,
  issueDeviceIdentity,
  issueFirmwareAlias,
  readDiceTcbInfo,
  deriveAliasKeyPair,
} from './device-pki.ts';
export {
  SPDM_V10,
  SPDM_V11,
  SpdmCode,
  SpdmErrorCode,
  SpdmCap,
  SpdmAlg,
  SPDM_HASH_BYTES,
  SPDM_NONCE_BYTES,
  SPDM_RANDOM_BYTES,
  SPDM_FRAME_PLAIN,
  SPDM_FRAME_SECURED,
  SPDM_MESSAGE_BYTES_MAX,
  spdmErrorName,
  frame as spdmFrame,
  readHeader as readSpdmHeader,
} from './spdm-wire.ts';
export {
  type AlgTables,
  type Algorithms,
  type NegotiateAlgorithms,
  encodeGetVersion,
  decodeGetVersion,
  encodeVersion,
  decodeVersion,
  encodeCapabilities,
  decodeCapabilities,
  encodeNegotiateAlgorithms,
  decodeNegotiateAlgorithms,
  encodeAlgorithms,
  decodeAlgorithms,
  encodeGetDigests,
  decodeGetDigests,
  encodeDigests,
  decodeDigests,
  encodeGetCertificate,
  decodeGetCertificate,
  encodeCertificate,
  decodeCertificate,
  encodeError as encodeSpdmError,
  decodeError as decodeSpdmError,
  isError as isSpdmError,
  encodeEndSession,
  encodeEndSessionAck,
  decodeBare as decodeSpdmBare,
  encodeVendorDefined,
  decodeVendorDefined,
} from './spdm-messages.ts';
export {
  type MeasurementBlockInput,
  type GetMeasurementsRequest,
  MEAS_OP_ALL,
  MEAS_OP_COUNT,
  encodeGetMeasurements,
  decodeGetMeasurements,
  selectBlocks,
  buildMeasurementsResponse,
  measurementSummaryHash,
} from './spdm-measurements-build.ts';
export {
  type KeyExchange,
  type KeyExchangeRsp,
  type DecodedKeyExchangeRsp,
  SUMMARY_NONE,
  SUMMARY_TCB,
  SUMMARY_ALL,
  encodeKeyExchange,
  decodeKeyExchange,
  encodeKeyExchangeRspPartial,
  decodeKeyExchangeRsp,
  FINISH_HEADER,
  decodeFinish,
  encodeFinishRsp,
  dheToPoint,
  pointToDhe,
  buildCertChain,
  splitCertChain,
  SessionTranscript,
} from './spdm-key-exchange.ts';
export {
  type DirectionKeys,
  type HandshakeSecrets,
  type DataSecrets,
  handshakeSecrets,
  dataSecrets,
  verifyData,
  verifyDataMatches,
} from './spdm-key-schedule.ts';
export { SecuredDirection, parseSecuredHeader, sessionIdOf } from './spdm-secured.ts';
export { HMAC_SHA384_BYTES, hmacSha256, hmacSha384 } from './hmac.ts';
