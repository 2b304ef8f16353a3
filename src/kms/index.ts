// The KMS's public entry: other folders import only from here.
export { KmsService, DEFAULT_MAX_DOCUMENT_AGE_MS, DOCUMENT_FUTURE_SKEW_MS } from './service.ts';
export { ALL_KMS_DEFENCES } from './types.ts';
export type {
  KmsDefences,
  KeyUsage,
  KeySpec,
  GrantOperation,
  GrantConstraints,
  GrantListEntry,
  KmsCaller,
  KmsOptions,
  KeyRelease,
  KmsOperation,
  KmsOperations,
  KmsRequest,
  KmsResponse,
  KeyMetadata,
  RecipientInfo,
  EncryptionContext,
} from './types.ts';
export { KmsError, isKmsError, KMS_ERROR_STATUS, type KmsErrorType } from './errors.ts';
export { KMS_OPERATIONS } from './schema.ts';
export { parseKeyPolicy, type KeyPolicy, type PolicyStatement, type PolicyCondition } from './policy.ts';
export { evaluatePolicy, type PolicyDecision, type PolicyRequest } from './policy-eval.ts';
export { parsePrincipalArn, type CallerIdentity } from './principal.ts';
export { normalizeConditionKey, pcrConditionKey, encryptionContextConditionKey, IMAGE_SHA384_KEY } from './condition-keys.ts';
export { defaultKeyPolicyText } from './ops-admin.ts';
export { BLOB_OVERHEAD, BLOB_VERSION, canonicalContext } from './ciphertext.ts';
export { TARGET_PREFIX, type JsonReply } from './json-protocol.ts';
export { lintKeyPolicy, lintErrors, closestConditionKey, type Finding, type LintCode, type LintOptions } from './lint.ts';
export { GRANT_OPERATIONS } from './grants.ts';
export { KMS_STATE_VERSION, type KmsStateSnapshot, type KeySnapshot, type GrantSnapshot } from './state.ts';
