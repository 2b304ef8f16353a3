import { equalBytes, wipe } from '../crypto/index.ts';
import type { OperationContext } from './context.ts';
import { parseBlob } from './ciphertext.ts';
import { KmsError, validationError } from './errors.ts';
import { admitKeyUse, commitRelease, deliverSecret } from './release.ts';
import { blobKey, targetKey } from './targets.ts';
import type { KmsResponse } from './types.ts';
import {
  CIPHERTEXT_BLOB_LENGTH_MAX,
  encryptionContext,
  KEY_ID_LENGTH_MAX,
  optionalEnum,
  optionalString,
  recipientInfo,
  requiredBlob,
  requiredString,
  type Fields,
} from './validate.ts';

const PUBLIC_KEY_LENGTH_MAX = 8192;
// SubjectPublicKeyInfo { id-ecPublicKey, secp384r1 } BIT STRING header; a 97-byte uncompressed point follows.
const P384_SPKI_PREFIX = Uint8Array.of(
  0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00,
  0x22, 0x03, 0x62, 0x00,
);
const P384_POINT_LENGTH = 97;

/** The uncompressed point of a P-384 SubjectPublicKeyInfo; anything else is a ValidationException. */
export function p384PointFromSpki(spki: Uint8Array): Uint8Array {
  const prefixLength = P384_SPKI_PREFIX.length;
  if (
    spki.length !== prefixLength + P384_POINT_LENGTH ||
    !equalBytes(spki.subarray(0, prefixLength), P384_SPKI_PREFIX) ||
    spki[prefixLength] !== 0x04
  ) {
    throw new KmsError(
      'KMS_VALIDATION',
      'ValidationException',
      'PublicKey must be the DER SubjectPublicKeyInfo of an uncompressed ECC_NIST_P384 point.',
    );
  }
  return spki.slice(prefixLength);
}

export function getPublicKey(ctx: OperationContext, fields: Fields): KmsResponse<'GetPublicKey'> {
  const key = targetKey(ctx, fields);
  admitKeyUse(ctx, fields, key, 'kms:GetPublicKey', {}, undefined);
  return {
    KeyId: key.arn,
    PublicKey: ctx.keys.publicKey(key.id),
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
    KeyAgreementAlgorithms: ['ECDH'],
  };
}

/**
 * ECDH between the KMS key's private scalar and the caller's public key. The shared secret is key material like a
 * data key: without a Recipient it goes out in plaintext, with one only inside CiphertextForRecipient to the
 * attested key, and the release is on record either way. Gated by the same key-policy attestation conditions.
 */
export function deriveSharedSecret(ctx: OperationContext, fields: Fields): KmsResponse<'DeriveSharedSecret'> {
  const algorithm = optionalEnum(fields, 'KeyAgreementAlgorithm', ['ECDH'] as const);
  if (algorithm === undefined) throw validationError('KeyAgreementAlgorithm', 'Member must not be null');
  const point = p384PointFromSpki(requiredBlob(fields, 'PublicKey', PUBLIC_KEY_LENGTH_MAX));
  const recipient = recipientInfo(fields);
  const key = targetKey(ctx, fields);
  const attested = admitKeyUse(ctx, fields, key, 'kms:DeriveSharedSecret', {}, recipient);
  const secret = deliverSecret(ctx, ctx.keys.deriveSharedSecret(key.id, point), attested);
  commitRelease(ctx, 'DeriveSharedSecret', key, attested);
  return {
    KeyId: key.arn,
    ...(secret.plaintext === undefined ? {} : { SharedSecret: secret.plaintext }),
    ...(secret.ciphertextForRecipient === undefined ? {} : { CiphertextForRecipient: secret.ciphertextForRecipient }),
    KeyAgreementAlgorithm: 'ECDH',
    KeyOrigin: 'AWS_KMS',
  };
}

/**
 * Decrypts under the source key and encrypts under the destination without the plaintext leaving KMS. Both keys'
 * policies apply: kms:ReEncryptFrom on the source (with the source context) and kms:ReEncryptTo on the
 * destination. Re-encrypting to a key someone else controls is a release (via 'reencrypt'): KP-02.
 */
export function reEncrypt(ctx: OperationContext, fields: Fields): KmsResponse<'ReEncrypt'> {
  const blob = requiredBlob(fields, 'CiphertextBlob', CIPHERTEXT_BLOB_LENGTH_MAX);
  const sourceContext = encryptionContext({ EncryptionContext: fields['SourceEncryptionContext'] });
  const destinationContext = encryptionContext({ EncryptionContext: fields['DestinationEncryptionContext'] });
  optionalEnum(fields, 'SourceEncryptionAlgorithm', ['SYMMETRIC_DEFAULT'] as const);
  optionalEnum(fields, 'DestinationEncryptionAlgorithm', ['SYMMETRIC_DEFAULT'] as const);
  const requestedSource = optionalString(fields, 'SourceKeyId', KEY_ID_LENGTH_MAX);
  const parsed = parseBlob(blob);
  const source = blobKey(ctx, parsed, requestedSource);
  const destination = ctx.keys.resolve(requiredString(fields, 'DestinationKeyId', KEY_ID_LENGTH_MAX));
  // DryRun is answered only after both keys have been admitted.
  const { DryRun: _dryRun, ...withoutDryRun } = fields;
  admitKeyUse(ctx, withoutDryRun, source, 'kms:ReEncryptFrom', sourceContext, undefined);
  admitKeyUse(ctx, fields, destination, 'kms:ReEncryptTo', destinationContext, undefined);
  const plaintext = ctx.keys.open(parsed, sourceContext);
  const ciphertextBlob = ctx.keys.seal(destination.id, plaintext, destinationContext);
  wipe(plaintext);
  const grantId = ctx.grantId();
  ctx.recordRelease({
    operation: 'ReEncrypt',
    keyId: source.id,
    via: 'reencrypt',
    destinationKeyId: destination.id,
    ...(grantId === undefined ? {} : { grantId }),
  });
  return {
    CiphertextBlob: ciphertextBlob,
    SourceKeyId: source.arn,
    KeyId: destination.arn,
    SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
  };
}
