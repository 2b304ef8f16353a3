import { buildEnvelopedData, wipe } from '../crypto/index.ts';
import { authorizeKey, requestConditionKeys } from './authz.ts';
import type { OperationContext } from './context.ts';
import { KmsError } from './errors.ts';
import type { KeyRecord } from './keys.ts';
import type { AttestedRecipient } from './recipient.ts';
import type { EncryptionContext, KeyRelease, RecipientInfo } from './types.ts';
import { optionalBool, type Fields } from './validate.ts';

/**
 * The common gate of every operation that uses a key: verify the Recipient's document (if any) first, then the key
 * policy with the attestation's condition keys, then the key state, then DryRun. Nothing here changes state.
 */
export function admitKeyUse(
  ctx: OperationContext,
  fields: Fields,
  key: KeyRecord,
  action: string,
  context: EncryptionContext,
  recipient: RecipientInfo | undefined,
): AttestedRecipient | undefined {
  const attested = recipient === undefined ? undefined : ctx.recipients.verify(recipient, ctx.sim.nowMs);
  authorizeKey(key, ctx.caller, action, requestConditionKeys(ctx.caller, context, attested?.conditionKeys));
  if (!key.enabled) throw new KmsError('KMS_DISABLED', 'DisabledException', `${key.arn} is disabled.`);
  throwIfDryRun(fields);
  return attested;
}

export function throwIfDryRun(fields: Fields): void {
  if (optionalBool(fields, 'DryRun')) {
    throw new KmsError(
      'KMS_DRY_RUN',
      'DryRunOperationException',
      'The request would have succeeded, but the DryRun option is set.',
    );
  }
}

/**
 * The secret leaves KMS either in plaintext (no Recipient) or only inside CMS EnvelopedData to the attested RSA
 * key; in that case our copy is wiped once it is wrapped.
 */
export function deliverSecret(
  ctx: OperationContext,
  secret: Uint8Array,
  attested: AttestedRecipient | undefined,
): { readonly plaintext?: Uint8Array; readonly ciphertextForRecipient?: Uint8Array } {
  if (attested === undefined) return { plaintext: secret };
  const envelope = buildEnvelopedData(secret, attested.publicKey, ctx.random.envelopes);
  wipe(secret);
  return { ciphertextForRecipient: envelope };
}

/** The last step of a successful release: the nonce is spent and the release is on record. */
export function commitRelease(
  ctx: OperationContext,
  operation: KeyRelease['operation'] | undefined,
  key: KeyRecord | undefined,
  attested: AttestedRecipient | undefined,
): void {
  if (attested !== undefined) ctx.recipients.commit(attested, ctx.sim.nowMs);
  if (operation === undefined || key === undefined) return;
  ctx.recordRelease(
    attested === undefined
      ? { operation, keyId: key.id, via: 'plaintext' }
      : {
          operation,
          keyId: key.id,
          via: 'recipient',
          pcr0: attested.pcr0,
          recipientKeySha256: attested.publicKeySha256,
          documentTimeMs: attested.documentTimeMs,
          ...(attested.nonceHex !== undefined ? { nonceHex: attested.nonceHex } : {}),
        },
  );
}
