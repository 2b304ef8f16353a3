import { fromBase64 } from '../crypto/index.ts';
import { KmsError } from './errors.ts';
import type { KmsOperation } from './types.ts';

/**
 * Field types per operation (AWS names). `ignored` is a field real KMS accepts and disregards here: `Recipient` on
 * operations that do not release material, as real KMS ignores it there.
 */
type FieldKind = 'string' | 'blob' | 'int' | 'bool' | 'context' | 'recipient' | 'strings' | 'operations' | 'constraints' | 'ignored';

const CRYPTO = { EncryptionContext: 'context', GrantTokens: 'strings', DryRun: 'bool' } as const;
const PAGE = { Limit: 'int', Marker: 'string' } as const;

export const REQUEST_FIELDS: { readonly [Op in KmsOperation]: Readonly<Record<string, FieldKind>> } = {
  CreateKey: { Policy: 'string', Description: 'string', KeyUsage: 'string', KeySpec: 'string', BypassPolicyLockoutSafetyCheck: 'bool' },
  DescribeKey: { KeyId: 'string', GrantTokens: 'strings' },
  ListKeys: PAGE,
  CreateAlias: { AliasName: 'string', TargetKeyId: 'string' },
  ListAliases: { ...PAGE, KeyId: 'string' },
  PutKeyPolicy: { KeyId: 'string', Policy: 'string', PolicyName: 'string', BypassPolicyLockoutSafetyCheck: 'bool' },
  GetKeyPolicy: { KeyId: 'string', PolicyName: 'string' },
  EnableKey: { KeyId: 'string' },
  DisableKey: { KeyId: 'string' },
  ScheduleKeyDeletion: { KeyId: 'string', PendingWindowInDays: 'int' },
  CancelKeyDeletion: { KeyId: 'string' },
  Encrypt: { KeyId: 'string', Plaintext: 'blob', EncryptionAlgorithm: 'string', Recipient: 'ignored', ...CRYPTO },
  Decrypt: { CiphertextBlob: 'blob', KeyId: 'string', EncryptionAlgorithm: 'string', Recipient: 'recipient', ...CRYPTO },
  GenerateDataKey: { KeyId: 'string', NumberOfBytes: 'int', KeySpec: 'string', Recipient: 'recipient', ...CRYPTO },
  GenerateDataKeyWithoutPlaintext: { KeyId: 'string', NumberOfBytes: 'int', KeySpec: 'string', Recipient: 'ignored', ...CRYPTO },
  GenerateDataKeyPair: { KeyId: 'string', KeyPairSpec: 'string', Recipient: 'recipient', ...CRYPTO },
  GenerateRandom: { NumberOfBytes: 'int', CustomKeyStoreId: 'string', Recipient: 'recipient' },
  CreateGrant: {
    KeyId: 'string',
    GranteePrincipal: 'string',
    RetiringPrincipal: 'string',
    Operations: 'operations',
    Constraints: 'constraints',
    Name: 'string',
    GrantTokens: 'strings',
    DryRun: 'bool',
  },
  ListGrants: { ...PAGE, KeyId: 'string', GrantId: 'string', GranteePrincipal: 'string' },
  RetireGrant: { GrantToken: 'string', KeyId: 'string', GrantId: 'string', DryRun: 'bool' },
  RevokeGrant: { KeyId: 'string', GrantId: 'string', DryRun: 'bool' },
  GetPublicKey: { KeyId: 'string', GrantTokens: 'strings' },
  DeriveSharedSecret: {
    KeyId: 'string',
    KeyAgreementAlgorithm: 'string',
    PublicKey: 'blob',
    Recipient: 'recipient',
    GrantTokens: 'strings',
    DryRun: 'bool',
  },
  ReEncrypt: {
    CiphertextBlob: 'blob',
    SourceEncryptionContext: 'context',
    SourceKeyId: 'string',
    DestinationKeyId: 'string',
    DestinationEncryptionContext: 'context',
    SourceEncryptionAlgorithm: 'string',
    DestinationEncryptionAlgorithm: 'string',
    GrantTokens: 'strings',
    DryRun: 'bool',
  },
};

export const KMS_OPERATIONS = Object.keys(REQUEST_FIELDS) as readonly KmsOperation[];

export function isKmsOperation(name: string): name is KmsOperation {
  return Object.hasOwn(REQUEST_FIELDS, name);
}

const GRANT_TOKENS_MAX = 10;
const OPERATIONS_MAX = 32;
const CONTEXT_PAIRS_MAX = 64;

/**
 * Checks every field's type, refuses unknown fields, drops ignored ones. On the wire (`'wire'`) blobs arrive as
 * base64 text and a type error is a SerializationException, as the AWS JSON deserializer reports it; in-process
 * callers get a ValidationException.
 */
export function normalizeRequest(operation: KmsOperation, raw: unknown, mode: 'wire' | 'native'): Record<string, unknown> {
  const fail = (message: string, field?: string): KmsError =>
    mode === 'wire'
      ? new KmsError('KMS_SERIALIZATION', 'SerializationException', message, { field })
      : new KmsError('KMS_VALIDATION', 'ValidationException', message, { field });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('The request must be a JSON object.');
  const fields = REQUEST_FIELDS[operation];
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const kind = fields[name];
    if (kind === undefined) throw fail(`Unknown field '${name.slice(0, 64)}' for ${operation}.`, name.slice(0, 64));
    if (value === undefined || (value === null && mode === 'wire') || kind === 'ignored') continue;
    out[name] = normalizeField(kind, name, value, mode, fail);
  }
  return out;
}

function normalizeField(
  kind: FieldKind,
  name: string,
  value: unknown,
  mode: 'wire' | 'native',
  fail: (message: string, field?: string) => KmsError,
): unknown {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw fail(`'${name}' must be a string.`, name);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw fail(`'${name}' must be a boolean.`, name);
      return value;
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw fail(`'${name}' must be an integer.`, name);
      return value;
    case 'blob':
      return blob(name, value, mode, fail);
    case 'strings':
      if (!Array.isArray(value) || value.length > GRANT_TOKENS_MAX || !value.every((v) => typeof v === 'string')) {
        throw fail(`'${name}' must be a list of at most ${GRANT_TOKENS_MAX} strings.`, name);
      }
      return [...(value as string[])];
    case 'operations':
      if (!Array.isArray(value) || value.length > OPERATIONS_MAX || !value.every((v) => typeof v === 'string')) {
        throw fail(`'${name}' must be a list of at most ${OPERATIONS_MAX} strings.`, name);
      }
      return [...(value as string[])];
    case 'constraints':
      return constraints(name, value, fail);
    case 'context':
      return context(name, value, fail);
    case 'recipient':
      return recipient(name, value, mode, fail);
    case 'ignored':
      return undefined;
  }
}

function blob(name: string, value: unknown, mode: 'wire' | 'native', fail: (m: string, f?: string) => KmsError): Uint8Array {
  if (mode === 'native') {
    if (!(value instanceof Uint8Array)) throw fail(`'${name}' must be a Uint8Array.`, name);
    return value;
  }
  if (typeof value !== 'string') throw fail(`'${name}' must be a base64 string.`, name);
  try {
    return fromBase64(value);
  } catch {
    throw fail(`'${name}' is not valid base64.`, name);
  }
}

function context(name: string, value: unknown, fail: (m: string, f?: string) => KmsError): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(`'${name}' must be a map.`, name);
  const entries = Object.entries(value);
  if (entries.length > CONTEXT_PAIRS_MAX) throw fail(`'${name}' has more than ${CONTEXT_PAIRS_MAX} pairs.`, name);
  for (const [, v] of entries) {
    if (typeof v !== 'string') throw fail(`'${name}' values must be strings.`, name);
  }
  // fromEntries defines own properties, so a pair named "__proto__" stays a pair instead of vanishing.
  return Object.fromEntries(entries) as Record<string, string>;
}

function constraints(name: string, value: unknown, fail: (m: string, f?: string) => KmsError): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(`'${name}' must be a structure.`, name);
  const out: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    if (field !== 'EncryptionContextSubset' && field !== 'EncryptionContextEquals') {
      throw fail(`Unknown field '${name}.${field.slice(0, 64)}'.`, name);
    }
    out[field] = context(`${name}.${field}`, v, fail);
  }
  return out;
}

function recipient(name: string, value: unknown, mode: 'wire' | 'native', fail: (m: string, f?: string) => KmsError): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(`'${name}' must be a structure.`, name);
  const out: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(value)) {
    if (v === undefined || (v === null && mode === 'wire')) continue;
    if (field === 'KeyEncryptionAlgorithm') {
      if (typeof v !== 'string') throw fail(`'${name}.${field}' must be a string.`, name);
      out[field] = v;
    } else if (field === 'AttestationDocument') {
      out[field] = blob(`${name}.${field}`, v, mode, fail);
    } else {
      throw fail(`Unknown field '${name}.${field.slice(0, 64)}'.`, name);
    }
  }
  return out;
}
