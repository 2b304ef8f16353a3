import { authorizeKey, callerConditionKeys } from './authz.ts';
import type { OperationContext } from './context.ts';
import { KmsError, pendingDeletion, validationError } from './errors.ts';
import { checkGrantTokens, GRANT_OPERATIONS, GRANT_TOKEN_LENGTH_MAX, type GrantRecord } from './grants.ts';
import { accountRootArn, parsePrincipalArn } from './principal.ts';
import { throwIfDryRun } from './release.ts';
import { targetKey } from './targets.ts';
import type { GrantConstraints, GrantListEntry, GrantOperation, KmsResponse } from './types.ts';
import { KEY_ID_LENGTH_MAX, optionalInt, optionalString, requiredString, type Fields } from './validate.ts';

const NAME_LENGTH_MAX = 256;
const GRANT_ID_LENGTH_MAX = 128;
const PRINCIPAL_LENGTH_MAX = 256;
const PAGE_LIMIT_MAX = 100;
const PAGE_LIMIT_DEFAULT = 50;

function principalField(fields: Fields, name: string, required: boolean): string | undefined {
  const value = required ? requiredString(fields, name, PRINCIPAL_LENGTH_MAX) : optionalString(fields, name, PRINCIPAL_LENGTH_MAX);
  if (value === undefined) return undefined;
  if (parsePrincipalArn(value) === undefined) {
    throw new KmsError('KMS_VALIDATION', 'ValidationException', `${name} ${value} is not a valid IAM or STS principal ARN.`);
  }
  return value;
}

function operationsField(fields: Fields): GrantOperation[] {
  const raw = fields['Operations'] as readonly string[] | undefined;
  if (raw === undefined || raw.length === 0) throw validationError('Operations', 'Member must have length greater than or equal to 1');
  const out: GrantOperation[] = [];
  for (const name of raw) {
    const op = GRANT_OPERATIONS.find((known) => known === name);
    if (op === undefined) {
      throw validationError('Operations', `Member must satisfy enum value set: [${GRANT_OPERATIONS.join(', ')}]`, { value: name.slice(0, 64) });
    }
    if (!out.includes(op)) out.push(op);
  }
  return out;
}

function constraintsField(fields: Fields): GrantConstraints | undefined {
  const raw = fields['Constraints'] as GrantConstraints | undefined;
  if (raw === undefined) return undefined;
  const { EncryptionContextSubset: subset, EncryptionContextEquals: equals } = raw;
  if (subset === undefined && equals === undefined) return undefined;
  return Object.freeze({
    ...(subset === undefined ? {} : { EncryptionContextSubset: Object.freeze({ ...subset }) }),
    ...(equals === undefined ? {} : { EncryptionContextEquals: Object.freeze({ ...equals }) }),
  });
}

/**
 * A grant is allowed by the key policy's kms:CreateGrant, or by a grant that includes CreateGrant; the new grant
 * may then carry only operations the granting grant has (so a grant never hands on more than it holds).
 */
export function createGrant(ctx: OperationContext, fields: Fields): KmsResponse<'CreateGrant'> {
  const granteePrincipal = principalField(fields, 'GranteePrincipal', true)!;
  const retiringPrincipal = principalField(fields, 'RetiringPrincipal', false);
  const operations = operationsField(fields);
  const constraints = constraintsField(fields);
  const name = optionalString(fields, 'Name', NAME_LENGTH_MAX);
  if (name !== undefined && !/^[a-zA-Z0-9:/_-]+$/.test(name)) {
    throw validationError('Name', 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$');
  }
  checkGrantTokens(fields['GrantTokens'] as readonly string[] | undefined);
  const key = targetKey(ctx, fields);
  const decision = authorizeKey(key, ctx.caller, 'kms:CreateGrant', callerConditionKeys(ctx.caller), {
    store: ctx.grants,
    operation: 'CreateGrant',
    context: {},
  });
  if (decision.grantId !== undefined) {
    const parent = ctx.grants.get(decision.grantId)!;
    const widened = operations.filter((op) => !parent.operations.includes(op));
    if (widened.length > 0) {
      throw new KmsError(
        'KMS_GRANT_WIDENS',
        'AccessDeniedException',
        `User: ${ctx.caller.arn} may not grant ${widened.join(', ')} on ${key.arn}: the grant that allows CreateGrant does not hold them.`,
      );
    }
    ctx.authorizedByGrant(decision.grantId);
  }
  if (key.deletionMs !== null) throw pendingDeletion(key.arn);
  if (!key.enabled) throw new KmsError('KMS_DISABLED', 'DisabledException', `${key.arn} is disabled.`);
  throwIfDryRun(fields);
  const { grantId, token } = ctx.grants.newIdentity();
  ctx.grants.add({
    grantId,
    keyId: key.id,
    token,
    name,
    creationMs: ctx.sim.nowMs,
    granteePrincipal,
    retiringPrincipal,
    issuingAccount: accountRootArn(ctx.accountId),
    operations,
    constraints,
  });
  return { GrantId: grantId, GrantToken: token };
}

function listEntry(grant: GrantRecord): GrantListEntry {
  return {
    KeyId: grant.keyId,
    GrantId: grant.grantId,
    ...(grant.name === undefined ? {} : { Name: grant.name }),
    CreationDate: grant.creationMs / 1000,
    GranteePrincipal: grant.granteePrincipal,
    ...(grant.retiringPrincipal === undefined ? {} : { RetiringPrincipal: grant.retiringPrincipal }),
    IssuingAccount: grant.issuingAccount,
    Operations: [...grant.operations],
    ...(grant.constraints === undefined ? {} : { Constraints: grant.constraints }),
  };
}

export function listGrants(ctx: OperationContext, fields: Fields): KmsResponse<'ListGrants'> {
  const key = targetKey(ctx, fields);
  authorizeKey(key, ctx.caller, 'kms:ListGrants', callerConditionKeys(ctx.caller));
  const grantId = optionalString(fields, 'GrantId', GRANT_ID_LENGTH_MAX);
  const grantee = optionalString(fields, 'GranteePrincipal', PRINCIPAL_LENGTH_MAX);
  const all = ctx.grants
    .forKey(key.id)
    .filter((g) => (grantId === undefined || g.grantId === grantId) && (grantee === undefined || g.granteePrincipal === grantee));
  const limit = optionalInt(fields, 'Limit', 1, PAGE_LIMIT_MAX) ?? PAGE_LIMIT_DEFAULT;
  const marker = optionalString(fields, 'Marker', 320);
  let start = 0;
  if (marker !== undefined) {
    if (!/^\d{1,9}$/.test(marker) || Number(marker) > all.length) throw new KmsError('KMS_VALIDATION', 'ValidationException', 'Invalid marker.');
    start = Number(marker);
  }
  const end = Math.min(all.length, start + limit);
  const Grants = all.slice(start, end).map(listEntry);
  return end < all.length ? { Grants, Truncated: true, NextMarker: String(end) } : { Grants, Truncated: false };
}

/**
 * By token, or by key and grant id. Who may retire: the grant's retiring principal, its grantee when the grant
 * includes RetireGrant, or the account's root (real KMS: the account the grant was created in).
 */
export function retireGrant(ctx: OperationContext, fields: Fields): KmsResponse<'RetireGrant'> {
  const token = optionalString(fields, 'GrantToken', GRANT_TOKEN_LENGTH_MAX);
  const keyRef = optionalString(fields, 'KeyId', KEY_ID_LENGTH_MAX);
  const grantIdField = optionalString(fields, 'GrantId', GRANT_ID_LENGTH_MAX);
  let grant: GrantRecord | undefined;
  if (token !== undefined) {
    checkGrantTokens([token]);
    grant = ctx.grants.byToken(token);
    if (grant === undefined) throw new KmsError('KMS_INVALID_GRANT_TOKEN', 'InvalidGrantTokenException', 'The grant token is not valid.');
  } else {
    if (keyRef === undefined || grantIdField === undefined) {
      throw new KmsError('KMS_VALIDATION', 'ValidationException', 'Specify GrantToken, or both KeyId and GrantId.');
    }
    const key = targetKey(ctx, fields);
    grant = ctx.grants.get(grantIdField);
    if (grant === undefined || grant.keyId !== key.id) {
      throw new KmsError('KMS_INVALID_GRANT_ID', 'InvalidGrantIdException', 'The grant id is not valid for this key.');
    }
  }
  ctx.target(grant.keyId);
  const { caller } = ctx;
  const named = (arn: string | undefined) => arn !== undefined && (arn === caller.arn || arn === caller.principalArn);
  const allowed =
    named(grant.retiringPrincipal) ||
    (named(grant.granteePrincipal) && grant.operations.includes('RetireGrant')) ||
    caller.arn === grant.issuingAccount;
  if (!allowed) {
    throw new KmsError(
      'KMS_GRANT_RETIRE_DENIED',
      'AccessDeniedException',
      `User: ${caller.arn} is not authorized to perform: kms:RetireGrant on grant ${grant.grantId}`,
    );
  }
  throwIfDryRun(fields);
  ctx.grants.remove(grant.grantId);
  return {};
}

export function revokeGrant(ctx: OperationContext, fields: Fields): KmsResponse<'RevokeGrant'> {
  const grantId = requiredString(fields, 'GrantId', GRANT_ID_LENGTH_MAX);
  const key = targetKey(ctx, fields);
  authorizeKey(key, ctx.caller, 'kms:RevokeGrant', callerConditionKeys(ctx.caller));
  const grant = ctx.grants.get(grantId);
  if (grant === undefined || grant.keyId !== key.id) {
    throw new KmsError('KMS_INVALID_GRANT_ID', 'InvalidGrantIdException', 'The grant id is not valid for this key.');
  }
  throwIfDryRun(fields);
  ctx.grants.remove(grantId);
  return {};
}
