/**
 * Condition keys the emulated KMS knows. IAM treats condition key names case-insensitively; the one exception we
 * keep is the context-key part of `kms:EncryptionContext:<k>`, because encryption context keys are case-sensitive
 * in cryptographic operations and a policy must not match a pair the ciphertext is not bound to.
 */
export const IMAGE_SHA384_KEY = 'kms:recipientattestation:imagesha384';
export const CALLER_ACCOUNT_KEY = 'kms:calleraccount';
export const PRINCIPAL_ARN_KEY = 'aws:principalarn';
export const PRINCIPAL_ACCOUNT_KEY = 'aws:principalaccount';
export const PCR_INDEX_MAX = 31;

const ENCRYPTION_CONTEXT_PREFIX = 'kms:encryptioncontext:';
const PCR_PREFIX = 'kms:recipientattestation:pcr';
const FIXED_KEYS = new Set([IMAGE_SHA384_KEY, CALLER_ACCOUNT_KEY, PRINCIPAL_ARN_KEY, PRINCIPAL_ACCOUNT_KEY]);

export function pcrConditionKey(index: number): string {
  return `${PCR_PREFIX}${index}`;
}

export function encryptionContextConditionKey(contextKey: string): string {
  return `${ENCRYPTION_CONTEXT_PREFIX}${contextKey}`;
}

/** The canonical form of a condition key as written in a policy, or undefined if the key is not one we know. */
export function normalizeConditionKey(written: string): string | undefined {
  const lower = written.toLowerCase();
  if (lower.startsWith(ENCRYPTION_CONTEXT_PREFIX)) {
    const contextKey = written.slice(ENCRYPTION_CONTEXT_PREFIX.length);
    return contextKey.length > 0 ? encryptionContextConditionKey(contextKey) : undefined;
  }
  if (FIXED_KEYS.has(lower)) return lower;
  if (lower.startsWith(PCR_PREFIX)) {
    const digits = lower.slice(PCR_PREFIX.length);
    // No leading zeros: "PCR01" would be a second spelling of the same key.
    if (!/^(0|[1-9]\d?)$/.test(digits)) return undefined;
    const index = Number(digits);
    return index <= PCR_INDEX_MAX ? pcrConditionKey(index) : undefined;
  }
  return undefined;
}
