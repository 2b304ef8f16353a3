import { globMatch } from './glob.ts';
import type { KeyPolicy, PolicyCondition, PolicyStatement } from './policy.ts';
import { accountRootArn, type CallerIdentity } from './principal.ts';

/** One authorization question: may `caller` perform `action` on `resourceArn`, given these condition keys? */
export interface PolicyRequest {
  /** As in the API, e.g. 'kms:Decrypt'. */
  readonly action: string;
  readonly caller: CallerIdentity;
  readonly resourceArn: string;
  /** Normalized condition key (see condition-keys.ts) → its single value. Absent keys are simply missing. */
  readonly conditionKeys: ReadonlyMap<string, string>;
}

export interface PolicyDecision {
  readonly decision: 'allow' | 'explicit-deny' | 'implicit-deny';
  /** The deciding statement's Sid (first matching Deny, else first matching Allow). */
  readonly sid: string | undefined;
}

/** IAM evaluation: an explicit Deny wins, else any Allow, else the implicit deny. */
export function evaluatePolicy(policy: KeyPolicy, request: PolicyRequest): PolicyDecision {
  let allowSid: string | undefined;
  let allowed = false;
  for (const statement of policy.statements) {
    if (!statementApplies(statement, request)) continue;
    if (statement.effect === 'Deny') return { decision: 'explicit-deny', sid: statement.sid };
    if (!allowed) {
      allowed = true;
      allowSid = statement.sid;
    }
  }
  return allowed ? { decision: 'allow', sid: allowSid } : { decision: 'implicit-deny', sid: undefined };
}

function statementApplies(statement: PolicyStatement, request: PolicyRequest): boolean {
  return (
    principalMatches(statement.principals, request.caller) &&
    statement.actions.some((pattern) => globMatch(pattern, request.action.toLowerCase())) &&
    statement.resources.some((pattern) => globMatch(pattern, request.resourceArn)) &&
    // Different keys and operators are AND'ed; the values inside one condition are OR'ed (conditionHolds).
    statement.conditions.every((condition) => conditionHolds(condition, request.conditionKeys))
  );
}

/**
 * Exact ARN match (the session ARN or the role it assumed), or the account root, which in a key policy stands for
 * every principal of that account. Real KMS would then also require an IAM policy; this emulator has no IAM, so
 * the account root is the whole account.
 */
function principalMatches(principals: '*' | readonly string[], caller: CallerIdentity): boolean {
  if (principals === '*') return true;
  const root = accountRootArn(caller.account);
  return principals.some((arn) => arn === caller.arn || arn === caller.principalArn || arn === root);
}

/**
 * IAM semantics for an absent key: positive operators are false, negated ones (StringNotEquals, StringNotLike…)
 * are true, `…IfExists` is true, and Null tests presence itself.
 */
export function conditionHolds(condition: PolicyCondition, keys: ReadonlyMap<string, string>): boolean {
  const value = keys.get(condition.key);
  if (condition.operator === 'Null') {
    const absent = value === undefined;
    return condition.values.some((flag) => (flag === 'true') === absent);
  }
  const negated = condition.operator.includes('Not');
  if (value === undefined) return condition.ifExists || negated;
  const matched = condition.values.some((expected) => stringMatches(condition.operator, expected, value));
  return negated ? !matched : matched;
}

function stringMatches(operator: string, expected: string, actual: string): boolean {
  switch (operator) {
    case 'StringEquals':
    case 'StringNotEquals':
      return expected === actual;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return expected.toLowerCase() === actual.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
      return globMatch(expected, actual);
    default:
      return false;
  }
}
