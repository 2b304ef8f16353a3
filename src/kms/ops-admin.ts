import { authorizeAccount, authorizeKey, callerConditionKeys, decide } from './authz.ts';
import type { OperationContext } from './context.ts';
import { KmsError, pendingDeletion, validationError } from './errors.ts';
import { checkGrantTokens } from './grants.ts';
import type { KeyRecord } from './keys.ts';
import { lintErrors, lintKeyPolicy } from './lint.ts';
import { parseKeyPolicy, POLICY_TEXT_LENGTH_MAX, type KeyPolicy } from './policy.ts';
import type { KeyMetadata, KmsResponse } from './types.ts';
import {
  KEY_ID_LENGTH_MAX,
  optionalBool,
  optionalEnum,
  optionalInt,
  optionalString,
  requiredString,
  type Fields,
} from './validate.ts';

const DESCRIPTION_LENGTH_MAX = 8192;
const ALIAS_LENGTH_MAX = 256;
const PAGE_LIMIT_MAX = 1000;
const PAGE_LIMIT_DEFAULT = 100;

/** The policy real KMS attaches when CreateKey has none: the account root may do everything. */
export function defaultKeyPolicyText(accountId: string): string {
  const policy = {
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
  return JSON.stringify(policy, null, 2);
}

export function keyMetadata(key: KeyRecord, accountId: string): KeyMetadata {
  return {
    AWSAccountId: accountId,
    KeyId: key.id,
    Arn: key.arn,
    CreationDate: key.creationMs / 1000,
    Enabled: key.enabled,
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.deletionMs !== null ? 'PendingDeletion' : key.enabled ? 'Enabled' : 'Disabled',
    ...(key.deletionMs === null ? {} : { DeletionDate: key.deletionMs / 1000 }),
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    KeySpec: key.keySpec,
    CustomerMasterKeySpec: key.keySpec,
    ...(key.keyUsage === 'KEY_AGREEMENT' ? { KeyAgreementAlgorithms: ['ECDH'] as const } : { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] as const }),
    MultiRegion: false,
  };
}

/**
 * Real KMS refuses a policy that would lock the caller out of ever changing it again, unless told to bypass the
 * check. The question asked is the one PutKeyPolicy will ask later, with only the caller's own condition keys.
 */
function checkLockout(ctx: OperationContext, policy: KeyPolicy, keyArn: string, fields: Fields): void {
  if (optionalBool(fields, 'BypassPolicyLockoutSafetyCheck')) return;
  const decision = decide(policy, { arn: keyArn }, ctx.caller, 'kms:PutKeyPolicy', callerConditionKeys(ctx.caller));
  if (decision.decision === 'allow') return;
  throw new KmsError(
    'KMS_POLICY_LOCKOUT',
    'MalformedPolicyDocumentException',
    'The new key policy will not allow you to update the key policy in the future.',
  );
}

/**
 * With `policyLint` on, a policy with lint errors is refused (the finding codes are in the details and the message);
 * with it off the policy is stored as written, unknown condition keys included.
 */
function admitPolicy(ctx: OperationContext, policyText: string): KeyPolicy {
  if (!ctx.defences.policyLint) return parseKeyPolicy(policyText, { unknownConditionKeys: 'keep' });
  const errors = lintErrors(lintKeyPolicy(policyText));
  // A text that is not a policy at all gets the parser's precise complaint rather than the linter's summary.
  if (errors.length > 0 && errors.every((f) => f.code !== 'KP_NOT_A_POLICY')) {
    const codes = [...new Set(errors.map((f) => f.code))];
    throw new KmsError(
      'KMS_POLICY_LINT',
      'MalformedPolicyDocumentException',
      `The key policy fails the policy linter: ${codes.join(', ')}. ${errors[0]!.message}.`,
      { findings: errors.map((f) => ({ code: f.code, statement: f.statement, message: f.message })), codes },
    );
  }
  return parseKeyPolicy(policyText);
}

export function resolveKey(ctx: OperationContext, fields: Fields, action: string): KeyRecord {
  const key = ctx.keys.resolve(requiredString(fields, 'KeyId', KEY_ID_LENGTH_MAX));
  ctx.target(key.id);
  authorizeKey(key, ctx.caller, action, callerConditionKeys(ctx.caller));
  return key;
}

function policyName(fields: Fields): void {
  optionalEnum(fields, 'PolicyName', ['default'] as const);
}

/** Offset-based paging; the marker is opaque to clients but must be one we issued. */
function page<T>(items: readonly T[], fields: Fields): { items: T[]; Truncated: boolean; NextMarker?: string } {
  const limit = optionalInt(fields, 'Limit', 1, PAGE_LIMIT_MAX) ?? PAGE_LIMIT_DEFAULT;
  const marker = optionalString(fields, 'Marker', 320);
  let start = 0;
  if (marker !== undefined) {
    if (!/^\d{1,9}$/.test(marker) || Number(marker) > items.length) {
      throw new KmsError('KMS_VALIDATION', 'ValidationException', 'Invalid marker.');
    }
    start = Number(marker);
  }
  const end = Math.min(items.length, start + limit);
  return end < items.length
    ? { items: items.slice(start, end), Truncated: true, NextMarker: String(end) }
    : { items: items.slice(start, end), Truncated: false };
}

export function createKey(ctx: OperationContext, fields: Fields): KmsResponse<'CreateKey'> {
  const description = optionalString(fields, 'Description', DESCRIPTION_LENGTH_MAX) ?? '';
  const keyUsage = optionalEnum(fields, 'KeyUsage', ['ENCRYPT_DECRYPT', 'KEY_AGREEMENT'] as const) ?? 'ENCRYPT_DECRYPT';
  const keySpec = optionalEnum(fields, 'KeySpec', ['SYMMETRIC_DEFAULT', 'ECC_NIST_P384'] as const) ?? 'SYMMETRIC_DEFAULT';
  if ((keySpec === 'ECC_NIST_P384') !== (keyUsage === 'KEY_AGREEMENT')) {
    throw new KmsError(
      'KMS_VALIDATION',
      'ValidationException',
      `KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec} (this emulator: SYMMETRIC_DEFAULT for ENCRYPT_DECRYPT, ECC_NIST_P384 for KEY_AGREEMENT).`,
    );
  }
  const policyText = optionalString(fields, 'Policy', POLICY_TEXT_LENGTH_MAX) ?? defaultKeyPolicyText(ctx.keys.accountId);
  authorizeAccount(ctx.keys.accountId, ctx.caller, 'kms:CreateKey');
  const policy = admitPolicy(ctx, policyText);
  const id = ctx.keys.newKeyId();
  checkLockout(ctx, policy, ctx.keys.keyArn(id), fields);
  ctx.target(id);
  const key = ctx.keys.create(id, { creationMs: ctx.sim.nowMs, description, policyText, policy, keyUsage, keySpec });
  return { KeyMetadata: keyMetadata(key, ctx.keys.accountId) };
}

export function describeKey(ctx: OperationContext, fields: Fields): KmsResponse<'DescribeKey'> {
  checkGrantTokens(fields['GrantTokens'] as readonly string[] | undefined);
  const key = ctx.keys.resolve(requiredString(fields, 'KeyId', KEY_ID_LENGTH_MAX));
  ctx.target(key.id);
  const decision = authorizeKey(key, ctx.caller, 'kms:DescribeKey', callerConditionKeys(ctx.caller), {
    store: ctx.grants,
    operation: 'DescribeKey',
    context: {},
  });
  if (decision.grantId !== undefined) ctx.authorizedByGrant(decision.grantId);
  return { KeyMetadata: keyMetadata(key, ctx.keys.accountId) };
}

export function listKeys(ctx: OperationContext, fields: Fields): KmsResponse<'ListKeys'> {
  authorizeAccount(ctx.keys.accountId, ctx.caller, 'kms:ListKeys');
  const { items, ...rest } = page(ctx.keys.list(), fields);
  return { Keys: items.map((k) => ({ KeyId: k.id, KeyArn: k.arn })), ...rest };
}

export function createAlias(ctx: OperationContext, fields: Fields): KmsResponse<'CreateAlias'> {
  const aliasName = requiredString(fields, 'AliasName', ALIAS_LENGTH_MAX);
  const targetKeyId = requiredString(fields, 'TargetKeyId', KEY_ID_LENGTH_MAX);
  if (!aliasName.startsWith('alias/')) {
    throw new KmsError('KMS_ALIAS_INVALID', 'InvalidAliasNameException', 'Alias must start with the prefix "alias/".');
  }
  if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(aliasName)) {
    throw validationError('AliasName', 'Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$');
  }
  if (aliasName.startsWith('alias/aws/')) {
    throw new KmsError('KMS_ALIAS_INVALID', 'InvalidAliasNameException', 'Alias names that begin with alias/aws/ are reserved.');
  }
  if (targetKeyId.startsWith('alias/') || targetKeyId.includes(':alias/')) {
    throw new KmsError('KMS_VALIDATION', 'ValidationException', 'Aliases must refer to keys. Not aliases.');
  }
  const key = resolveKey(ctx, { KeyId: targetKeyId }, 'kms:CreateAlias');
  if (ctx.keys.hasAlias(aliasName)) {
    throw new KmsError('KMS_ALIAS_EXISTS', 'AlreadyExistsException', `An alias with the name ${ctx.keys.aliasArn(aliasName)} already exists`);
  }
  ctx.keys.addAlias(aliasName, key.id);
  return {};
}

export function listAliases(ctx: OperationContext, fields: Fields): KmsResponse<'ListAliases'> {
  authorizeAccount(ctx.keys.accountId, ctx.caller, 'kms:ListAliases');
  const filter = optionalString(fields, 'KeyId', KEY_ID_LENGTH_MAX);
  const filterId = filter === undefined ? undefined : ctx.keys.resolve(filter).id;
  const all = ctx.keys.aliases().filter(([, id]) => filterId === undefined || id === filterId);
  const { items, ...rest } = page(all, fields);
  return {
    Aliases: items.map(([name, id]) => ({ AliasName: name, AliasArn: ctx.keys.aliasArn(name), TargetKeyId: id })),
    ...rest,
  };
}

export function putKeyPolicy(ctx: OperationContext, fields: Fields): KmsResponse<'PutKeyPolicy'> {
  const policyText = requiredString(fields, 'Policy', POLICY_TEXT_LENGTH_MAX);
  policyName(fields);
  const key = resolveKey(ctx, fields, 'kms:PutKeyPolicy');
  const policy = admitPolicy(ctx, policyText);
  checkLockout(ctx, policy, key.arn, fields);
  ctx.keys.setPolicy(key.id, policyText, policy);
  return {};
}

export function getKeyPolicy(ctx: OperationContext, fields: Fields): KmsResponse<'GetKeyPolicy'> {
  policyName(fields);
  return { Policy: resolveKey(ctx, fields, 'kms:GetKeyPolicy').policyText, PolicyName: 'default' };
}

export function enableKey(ctx: OperationContext, fields: Fields): KmsResponse<'EnableKey'> {
  const key = resolveKey(ctx, fields, 'kms:EnableKey');
  if (key.deletionMs !== null) throw pendingDeletion(key.arn);
  ctx.keys.setEnabled(key.id, true);
  return {};
}

export function disableKey(ctx: OperationContext, fields: Fields): KmsResponse<'DisableKey'> {
  const key = resolveKey(ctx, fields, 'kms:DisableKey');
  if (key.deletionMs !== null) throw pendingDeletion(key.arn);
  ctx.keys.setEnabled(key.id, false);
  return {};
}
