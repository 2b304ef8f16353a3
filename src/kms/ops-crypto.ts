import { wipe } from '../crypto/index.ts';
import type { OperationContext } from './context.ts';
import { parseBlob } from './ciphertext.ts';
import { KmsError } from './errors.ts';
import { generateDataKeyPair } from './key-pairs.ts';
import { admitKeyUse, commitRelease, deliverSecret } from './release.ts';
import { blobKey, targetKey } from './targets.ts';
import type { KmsResponse } from './types.ts';
import {
  CIPHERTEXT_BLOB_LENGTH_MAX,
  dataKeyLength,
  encryptionContext,
  KEY_ID_LENGTH_MAX,
  optionalEnum,
  optionalString,
  PLAINTEXT_LENGTH_MAX,
  recipientInfo,
  requiredBlob,
  symmetricAlgorithm,
  type Fields,
} from './validate.ts';

export function encrypt(ctx: OperationContext, fields: Fields): KmsResponse<'Encrypt'> {
  const plaintext = requiredBlob(fields, 'Plaintext', PLAINTEXT_LENGTH_MAX);
  const context = encryptionContext(fields);
  symmetricAlgorithm(fields);
  const key = targetKey(ctx, fields);
  admitKeyUse(ctx, fields, key, 'kms:Encrypt', context, undefined);
  return { CiphertextBlob: ctx.keys.seal(key.id, plaintext, context), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
}

/**
 * The key comes from the blob. A blob naming no key we hold is just an invalid ciphertext (no hint whether the key
 * exists); a KeyId that names a different key than the blob is IncorrectKeyException, as in real KMS.
 */
export function decrypt(ctx: OperationContext, fields: Fields): KmsResponse<'Decrypt'> {
  const blob = requiredBlob(fields, 'CiphertextBlob', CIPHERTEXT_BLOB_LENGTH_MAX);
  const context = encryptionContext(fields);
  symmetricAlgorithm(fields);
  const recipient = recipientInfo(fields);
  const requestedKeyId = optionalString(fields, 'KeyId', KEY_ID_LENGTH_MAX);
  const parsed = parseBlob(blob);
  const key = blobKey(ctx, parsed, requestedKeyId);
  const attested = admitKeyUse(ctx, fields, key, 'kms:Decrypt', context, recipient);
  const secret = deliverSecret(ctx, ctx.keys.open(parsed, context), attested);
  commitRelease(ctx, 'Decrypt', key, attested);
  return {
    KeyId: key.arn,
    ...(secret.plaintext === undefined ? {} : { Plaintext: secret.plaintext }),
    ...(secret.ciphertextForRecipient === undefined ? {} : { CiphertextForRecipient: secret.ciphertextForRecipient }),
    EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
  };
}

export function generateDataKey(ctx: OperationContext, fields: Fields): KmsResponse<'GenerateDataKey'> {
  const length = dataKeyLength(fields);
  const context = encryptionContext(fields);
  const recipient = recipientInfo(fields);
  const key = targetKey(ctx, fields);
  const attested = admitKeyUse(ctx, fields, key, 'kms:GenerateDataKey', context, recipient);
  const dataKey = ctx.random.dataKeys.bytes(length);
  const ciphertextBlob = ctx.keys.seal(key.id, dataKey, context);
  const secret = deliverSecret(ctx, dataKey, attested);
  commitRelease(ctx, 'GenerateDataKey', key, attested);
  return {
    CiphertextBlob: ciphertextBlob,
    ...(secret.plaintext === undefined ? {} : { Plaintext: secret.plaintext }),
    ...(secret.ciphertextForRecipient === undefined ? {} : { CiphertextForRecipient: secret.ciphertextForRecipient }),
    KeyId: key.arn,
  };
}

export function generateDataKeyWithoutPlaintext(
  ctx: OperationContext,
  fields: Fields,
): KmsResponse<'GenerateDataKeyWithoutPlaintext'> {
  const length = dataKeyLength(fields);
  const context = encryptionContext(fields);
  const key = targetKey(ctx, fields);
  admitKeyUse(ctx, fields, key, 'kms:GenerateDataKeyWithoutPlaintext', context, undefined);
  const dataKey = ctx.random.dataKeys.bytes(length);
  const ciphertextBlob = ctx.keys.seal(key.id, dataKey, context);
  wipe(dataKey);
  return { CiphertextBlob: ciphertextBlob, KeyId: key.arn };
}

export function generateDataKeyPairOp(ctx: OperationContext, fields: Fields): KmsResponse<'GenerateDataKeyPair'> {
  const spec = optionalEnum(fields, 'KeyPairSpec', ['RSA_2048', 'ECC_NIST_P384'] as const);
  if (spec === undefined) throw new KmsError('KMS_VALIDATION', 'ValidationException', "1 validation error detected: Value at 'keyPairSpec' failed to satisfy constraint: Member must not be null");
  const context = encryptionContext(fields);
  const recipient = recipientInfo(fields);
  const key = targetKey(ctx, fields);
  const attested = admitKeyUse(ctx, fields, key, 'kms:GenerateDataKeyPair', context, recipient);
  const pair = generateDataKeyPair(spec, ctx.random.keyPairs);
  const privateKeyCiphertextBlob = ctx.keys.seal(key.id, pair.privateKeyPkcs8, context);
  const secret = deliverSecret(ctx, pair.privateKeyPkcs8, attested);
  commitRelease(ctx, 'GenerateDataKeyPair', key, attested);
  return {
    PrivateKeyCiphertextBlob: privateKeyCiphertextBlob,
    ...(secret.plaintext === undefined ? {} : { PrivateKeyPlaintext: secret.plaintext }),
    ...(secret.ciphertextForRecipient === undefined ? {} : { CiphertextForRecipient: secret.ciphertextForRecipient }),
    PublicKey: pair.publicKey,
    KeyId: key.arn,
    KeyPairSpec: spec,
  };
}
