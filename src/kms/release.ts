import { buildEnvelopedData, wipe } from '../crypto/index.ts';
import { authorizeKey, requestConditionKeys } from './authz.ts';
import type { OperationContext } from './context.ts';
import { KmsError, pendingDeletion } from './errors.ts';
import { checkGrantTokens, GRANT_OPERATIONS } from './grants.ts';
import type { KeyRecord } from './keys.ts';
import type { AttestedRecipient } from './recipient.ts';
import type { EncryptionContext, GrantOperation, KeyRelease, RecipientInfo } from './types.ts';
import { optionalBool, type Fields } from './validate.ts';

const KEY_AGREEMENT_ACTIONS = new Set(['kms:DeriveSharedSecret', 'kms:GetPublicKey']);
const ANY_USAGE_ACTIONS = new Set(['kms:DescribeKey', 'kms:CreateGrant']);

function grantOperation(action: string): GrantOperation | undefined {
  const name = action.slice('kms:'.length);
  return GRANT_OPERATIONS.find((op) => op === name);
}

/**
 * The common gate of every operation that uses a key: verify the Recipient's document (if any) first, then the key
 * policy with the attestation's condition keys (or a grant, unless the policy explicitly denies), then the key's
 * usage and state, then DryRun. Nothing here changes state.
 */
export function admitKeyUse(
  ctx: OperationContext,
  fields: Fields,
  key: KeyRecord,
  action: string,
  context: EncryptionContext,
  recipient: RecipientInfo | undefined,
): AttestedRecipient | undefined {
  checkGrantTokens(fields['GrantTokens'] as readonly string[] | undefined);
  const attested = recipient === undefined ? undefined : ctx.recipients.verify(recipient, ctx.sim.nowMs);
  const operation = grantOperation(action);
  const decision = authorizeKey(
    key,
    ctx.caller,
    action,
    requestConditionKeys(ctx.caller, context, attested?.conditionKeys),
    operation === undefined ? undefined : { store: ctx.grants, operation, context },
  );
  if (decision.grantId !== undefined) ctx.authorizedByGrant(decision.grantId);
  checkKeyUsage(key, action);
  if (key.deletionMs !== null) throw pendingDeletion(key.arn);
  if (!key.enabled) throw new KmsError('KMS_DISABLED', 'DisabledException', `${key.arn} is disabled.`);
  throwIfDryRun(fields);
  return attested;
}

function checkKeyUsage(key: KeyRecord, action: string): void {
  if (ANY_USAGE_ACTIONS.has(action)) return;
  const needed = KEY_AGREEMENT_ACTIONS.has(action) ? 'KEY_AGREEMENT' : 'ENCRYPT_DECRYPT';
  if (key.keyUsage === needed) return;
  throw new KmsError(
    'KMS_INVALID_KEY_USAGE',
    'InvalidKeyUsageException',
    `${key.arn} key usage is ${key.keyUsage} which is not valid for ${action.slice(4)}.`,
  );
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
 * key; in that case our copy is wiped once it is wrapped. With `kmsRecipientEncryption` off (the LocalStack-style
 * bug) a Recipient changes nothing: the secret comes back in the clear.
 */
export function deliverSecret(
  ctx: OperationContext,
  secret: Uint8Array,
  attested: AttestedRecipient | undefined,
): { readonly plaintext?: Uint8Array; readonly ciphertextForRecipient?: Uint8Array } {
  if (attested === undefined || !ctx.defences.kmsRecipientEncryption) return { plaintext: secret };
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
  const grantId = ctx.grantId();
  const byGrant = grantId === undefined ? {} : { grantId };
  ctx.recordRelease(
    attested === undefined
      ? { operation, keyId: key.id, via: 'plaintext', ...byGrant }
      : {
          operation,
          keyId: key.id,
          ...byGrant,
          // Without recipient encryption the caller got the clear secret, whatever the document said.
          via: ctx.defences.kmsRecipientEncryption ? 'recipient' : 'plaintext',
          pcr0: attested.pcr0,
          recipientKeySha256: attested.publicKeySha256,
          documentTimeMs: attested.documentTimeMs,
          ...(attested.nonceHex !== undefined ? { nonceHex: attested.nonceHex } : {}),
        },
  );
}
