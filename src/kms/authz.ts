import { CALLER_ACCOUNT_KEY, encryptionContextConditionKey, PRINCIPAL_ACCOUNT_KEY, PRINCIPAL_ARN_KEY } from './condition-keys.ts';
import { KmsError } from './errors.ts';
import type { GrantStore } from './grants.ts';
import type { KeyRecord } from './keys.ts';
import type { KeyPolicy } from './policy.ts';
import { evaluatePolicy, type PolicyDecision } from './policy-eval.ts';
import type { CallerIdentity } from './principal.ts';
import type { EncryptionContext, GrantOperation } from './types.ts';

/** What a grant must match for the call to be authorized by it when the key policy does not allow it. */
export interface GrantCheck {
  readonly store: GrantStore;
  readonly operation: GrantOperation;
  readonly context: EncryptionContext;
}

/** The request context every call has: who is asking. */
export function callerConditionKeys(caller: CallerIdentity): Map<string, string> {
  return new Map([
    [CALLER_ACCOUNT_KEY, caller.account],
    [PRINCIPAL_ACCOUNT_KEY, caller.account],
    [PRINCIPAL_ARN_KEY, caller.principalArn],
  ]);
}

/** Condition keys of one request: the caller's, each encryption context pair, and any attestation keys. */
export function requestConditionKeys(
  caller: CallerIdentity,
  context: EncryptionContext,
  attestation: ReadonlyMap<string, string> | undefined,
): Map<string, string> {
  const keys = callerConditionKeys(caller);
  for (const [k, v] of Object.entries(context)) keys.set(encryptionContextConditionKey(k), v);
  if (attestation !== undefined) for (const [k, v] of attestation) keys.set(k, v);
  return keys;
}

export function decide(
  policy: KeyPolicy,
  key: Pick<KeyRecord, 'arn'>,
  caller: CallerIdentity,
  action: string,
  conditionKeys: ReadonlyMap<string, string>,
): PolicyDecision {
  return evaluatePolicy(policy, { action, caller, resourceArn: key.arn, conditionKeys });
}

/**
 * Throws the AccessDeniedException real KMS words this way, unless the key policy allows the action or (with
 * `grants`) a grant does. An explicit Deny in the key policy wins over any grant: that is what keeps a grant from
 * widening past the policy's attestation requirement (KP-06).
 */
export function authorizeKey(
  key: KeyRecord,
  caller: CallerIdentity,
  action: string,
  conditionKeys: ReadonlyMap<string, string>,
  grants?: GrantCheck,
): PolicyDecision & { readonly grantId?: string } {
  const decision = decide(key.policy, key, caller, action, conditionKeys);
  if (decision.decision === 'allow') return decision;
  if (decision.decision === 'implicit-deny' && grants !== undefined) {
    const grant = grants.store.match(key.id, caller, grants.operation, grants.context);
    if (grant !== undefined) return { decision: 'allow', sid: undefined, grantId: grant.grantId };
  }
  const explicit = decision.decision === 'explicit-deny';
  throw new KmsError(
    explicit ? 'KMS_POLICY_EXPLICIT_DENY' : 'KMS_POLICY_DENIED',
    'AccessDeniedException',
    `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${key.arn} ` +
      (explicit ? 'with an explicit deny in a resource-based policy' : `because no resource-based policy allows the ${action} action`),
    { decision: decision.decision, sid: decision.sid ?? null },
  );
}

/**
 * Operations real KMS authorizes only through IAM (CreateKey, ListKeys, ListAliases, GenerateRandom). There is no
 * IAM here, so the rule is: every principal of the KMS's own account may, nobody else may.
 */
export function authorizeAccount(accountId: string, caller: CallerIdentity, action: string): void {
  if (caller.account === accountId) return;
  throw new KmsError(
    'KMS_ACCOUNT_DENIED',
    'AccessDeniedException',
    `User: ${caller.arn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
  );
}
