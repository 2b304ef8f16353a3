import { KmsError, validationError } from './errors.ts';
import type { EncryptionContext, RecipientInfo } from './types.ts';

/** Readers for request fields that apply AWS's constraints. The request has already passed schema.ts. */
export type Fields = Readonly<Record<string, unknown>>;

export const KEY_ID_LENGTH_MAX = 2048;
export const PLAINTEXT_LENGTH_MAX = 4096;
export const CIPHERTEXT_BLOB_LENGTH_MAX = 6144;
export const DATA_KEY_BYTES_MAX = 1024;
export const ATTESTATION_DOCUMENT_LENGTH_MAX = 16_384;
const CONTEXT_CHARS_MAX = 8192;

export function requiredString(fields: Fields, name: string, lengthMax: number): string {
  const value = fields[name];
  if (value === undefined) throw validationError(name, 'Member must not be null');
  return checkedString(name, value as string, lengthMax);
}

export function optionalString(fields: Fields, name: string, lengthMax: number): string | undefined {
  const value = fields[name];
  return value === undefined ? undefined : checkedString(name, value as string, lengthMax);
}

function checkedString(name: string, value: string, lengthMax: number): string {
  if (value.length < 1) throw validationError(name, 'Member must have length greater than or equal to 1');
  if (value.length > lengthMax) throw validationError(name, `Member must have length less than or equal to ${lengthMax}`);
  return value;
}

export function requiredBlob(fields: Fields, name: string, lengthMax: number): Uint8Array {
  const value = fields[name] as Uint8Array | undefined;
  if (value === undefined) throw validationError(name, 'Member must not be null');
  if (value.length < 1) throw validationError(name, 'Member must have length greater than or equal to 1');
  if (value.length > lengthMax) throw validationError(name, `Member must have length less than or equal to ${lengthMax}`);
  return value;
}

export function optionalInt(fields: Fields, name: string, min: number, max: number): number | undefined {
  const value = fields[name] as number | undefined;
  if (value === undefined) return undefined;
  if (value < min) throw validationError(name, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw validationError(name, `Member must have value less than or equal to ${max}`);
  return value;
}

export function optionalBool(fields: Fields, name: string): boolean {
  return fields[name] === true;
}

/** One of the enum values, or undefined when absent. */
export function optionalEnum<T extends string>(fields: Fields, name: string, allowed: readonly T[]): T | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  const match = allowed.find((v) => v === value);
  if (match === undefined) throw validationError(name, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  return match;
}

export function encryptionContext(fields: Fields): EncryptionContext {
  const context = (fields['EncryptionContext'] ?? {}) as Record<string, string>;
  let chars = 0;
  for (const [k, v] of Object.entries(context)) {
    if (k.length === 0) throw validationError('EncryptionContext', 'Keys must have length greater than or equal to 1');
    chars += k.length + v.length;
  }
  if (chars > CONTEXT_CHARS_MAX) {
    throw validationError('EncryptionContext', `Member must have total length less than or equal to ${CONTEXT_CHARS_MAX}`);
  }
  return context;
}

export function recipientInfo(fields: Fields): RecipientInfo | undefined {
  const raw = fields['Recipient'] as Partial<RecipientInfo> | undefined;
  if (raw === undefined) return undefined;
  if (raw.KeyEncryptionAlgorithm !== 'RSAES_OAEP_SHA_256') {
    throw new KmsError(
      'KMS_RECIPIENT_ALGORITHM',
      'ValidationException',
      "1 validation error detected: Value at 'recipient.keyEncryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_OAEP_SHA_256]",
    );
  }
  const document = raw.AttestationDocument;
  if (document === undefined || document.length === 0 || document.length > ATTESTATION_DOCUMENT_LENGTH_MAX) {
    throw validationError(
      'Recipient.AttestationDocument',
      `Member must have length between 1 and ${ATTESTATION_DOCUMENT_LENGTH_MAX}`,
    );
  }
  return { KeyEncryptionAlgorithm: raw.KeyEncryptionAlgorithm, AttestationDocument: document };
}

/** NumberOfBytes or KeySpec, exactly one, as real GenerateDataKey demands. */
export function dataKeyLength(fields: Fields): number {
  const count = optionalInt(fields, 'NumberOfBytes', 1, DATA_KEY_BYTES_MAX);
  const spec = optionalEnum(fields, 'KeySpec', ['AES_256', 'AES_128'] as const);
  if (count !== undefined && spec !== undefined) {
    throw new KmsError('KMS_VALIDATION', 'ValidationException', 'Please specify either number of bytes or key spec.');
  }
  if (count !== undefined) return count;
  if (spec === undefined) {
    throw new KmsError('KMS_VALIDATION', 'ValidationException', 'Please specify either number of bytes or key spec.');
  }
  return spec === 'AES_256' ? 32 : 16;
}

/** Only SYMMETRIC_DEFAULT exists for symmetric keys. */
export function symmetricAlgorithm(fields: Fields): void {
  optionalEnum(fields, 'EncryptionAlgorithm', ['SYMMETRIC_DEFAULT'] as const);
}
