// How an operation finds the key it is about; either way the key is marked as the call's target for the audit.
import type { ParsedBlob } from './ciphertext.ts';
import type { OperationContext } from './context.ts';
import { invalidCiphertext, KmsError } from './errors.ts';
import type { KeyRecord } from './keys.ts';
import { KEY_ID_LENGTH_MAX, requiredString, type Fields } from './validate.ts';

/** The key the request names in KeyId (an id, ARN or alias). */
export function targetKey(ctx: OperationContext, fields: Fields): KeyRecord {
  const key = ctx.keys.resolve(requiredString(fields, 'KeyId', KEY_ID_LENGTH_MAX));
  ctx.target(key.id);
  return key;
}

/**
 * The key that sealed a blob. A blob naming no key we hold is just an invalid ciphertext (no hint whether the key
 * exists); a key the request names (`requestedKeyId`) other than the blob's is IncorrectKeyException, as in real KMS.
 */
export function blobKey(ctx: OperationContext, parsed: ParsedBlob, requestedKeyId: string | undefined): KeyRecord {
  const key = ctx.keys.get(parsed.keyId);
  if (key === undefined) throw invalidCiphertext();
  ctx.target(key.id);
  if (requestedKeyId !== undefined && ctx.keys.resolve(requestedKeyId).id !== key.id) {
    throw new KmsError(
      'KMS_INCORRECT_KEY',
      'IncorrectKeyException',
      'The key ID in the request does not identify a KMS key that can perform this operation.',
    );
  }
  return key;
}
