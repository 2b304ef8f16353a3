import { authorizeAccount } from './authz.ts';
import type { OperationContext } from './context.ts';
import { KmsError, validationError } from './errors.ts';
import { commitRelease, deliverSecret } from './release.ts';
import type { KmsResponse } from './types.ts';
import { DATA_KEY_BYTES_MAX, optionalInt, recipientInfo, type Fields } from './validate.ts';

/**
 * Random bytes are no key's material, so they are not in the release record; with a Recipient they still leave
 * only inside CiphertextForRecipient and the document's nonce is spent.
 */
export function generateRandom(ctx: OperationContext, fields: Fields): KmsResponse<'GenerateRandom'> {
  const length = optionalInt(fields, 'NumberOfBytes', 1, DATA_KEY_BYTES_MAX);
  if (length === undefined) throw validationError('NumberOfBytes', 'Member must not be null');
  if (fields['CustomKeyStoreId'] !== undefined) {
    throw new KmsError('KMS_UNSUPPORTED', 'UnsupportedOperationException', 'Custom key stores are not supported by this emulator.');
  }
  const recipient = recipientInfo(fields);
  const attested = recipient === undefined ? undefined : ctx.recipients.verify(recipient, ctx.sim.nowMs);
  authorizeAccount(ctx.keys.accountId, ctx.caller, 'kms:GenerateRandom');
  const secret = deliverSecret(ctx, ctx.random.generated.bytes(length), attested);
  commitRelease(ctx, undefined, undefined, attested);
  return secret.plaintext === undefined
    ? { CiphertextForRecipient: secret.ciphertextForRecipient! }
    : { Plaintext: secret.plaintext };
}
