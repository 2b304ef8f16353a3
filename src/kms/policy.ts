import { normalizeConditionKey } from './condition-keys.ts';
import { KmsError } from './errors.ts';
import { parsePrincipalArn } from './principal.ts';
import { KMS_ACTIONS } from './actions.ts';

/** A key policy after strict validation; evaluation (policy-eval.ts) works only on this form. */
export interface KeyPolicy {
  readonly version: string;
  readonly statements: readonly PolicyStatement[];
}

export interface PolicyStatement {
  readonly sid: string | undefined;
  readonly effect: 'Allow' | 'Deny';
  /** '*' for everyone, else principal ARNs (an account id is stored as its `:root` ARN). */
  readonly principals: '*' | readonly string[];
  /** Lower-case patterns; IAM action names are case-insensitive. */
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions: readonly PolicyCondition[];
}

export const STRING_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
] as const;
export type StringOperator = (typeof STRING_OPERATORS)[number];

export type PolicyCondition =
  | { readonly operator: StringOperator; readonly ifExists: boolean; readonly key: string; readonly values: readonly string[] }
  | { readonly operator: 'Null'; readonly ifExists: false; readonly key: string; readonly values: readonly ('true' | 'false')[] };

export const POLICY_TEXT_LENGTH_MAX = 32_768;
const STATEMENTS_MAX = 100;
const LIST_ENTRIES_MAX = 100;
const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const STATEMENT_FIELDS = new Set(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition']);
const UNSUPPORTED_FIELDS = new Set(['NotPrincipal', 'NotAction', 'NotResource']);

function malformed(message: string, details?: Record<string, unknown>): KmsError {
  return new KmsError('KMS_MALFORMED_POLICY', 'MalformedPolicyDocumentException', message, details);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface ParsePolicyOptions {
  /**
   * 'refuse' (default): an unknown condition key is a MalformedPolicyDocumentException. 'keep': it is stored
   * (lower-cased) and, never being present in a request, evaluates as an absent key — what KMS does when the
   * `policyLint` defence is off, so a typo'd key quietly changes the policy's meaning (KP-05).
   */
  readonly unknownConditionKeys?: 'refuse' | 'keep';
}

/** Parses and validates a key policy; every defect is a MalformedPolicyDocumentException that names it. */
export function parseKeyPolicy(text: string, options: ParsePolicyOptions = {}): KeyPolicy {
  const keepUnknown = options.unknownConditionKeys === 'keep';
  if (typeof text !== 'string' || text.length === 0) throw malformed('The key policy must be a non-empty JSON string.');
  if (text.length > POLICY_TEXT_LENGTH_MAX) {
    throw malformed(`The key policy is ${text.length} characters; the limit is ${POLICY_TEXT_LENGTH_MAX}.`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw malformed('The key policy is not valid JSON.');
  }
  if (!isObject(document)) throw malformed('The key policy must be a JSON object.');
  for (const field of Object.keys(document)) {
    if (field !== 'Version' && field !== 'Id' && field !== 'Statement') {
      throw malformed(`Unknown top-level policy element "${field}".`);
    }
  }
  const version = document['Version'];
  if (typeof version !== 'string' || !VERSIONS.has(version)) {
    throw malformed('Version must be "2012-10-17" or "2008-10-17".');
  }
  if (document['Id'] !== undefined && typeof document['Id'] !== 'string') throw malformed('Id must be a string.');
  const raw = document['Statement'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (list.length === 0) throw malformed('The policy must contain at least one Statement.');
  if (list.length > STATEMENTS_MAX) throw malformed(`The policy has more than ${STATEMENTS_MAX} statements.`);
  const statements = list.map((entry, i) => parseStatement(entry, i, keepUnknown));
  const sids = new Set<string>();
  for (const statement of statements) {
    if (statement.sid === undefined || statement.sid === '') continue;
    if (sids.has(statement.sid)) throw malformed(`Statement IDs (SID) must be unique; "${statement.sid}" repeats.`);
    sids.add(statement.sid);
  }
  return { version, statements };
}

function parseStatement(raw: unknown, index: number, keepUnknown: boolean): PolicyStatement {
  const where = `Statement ${index}`;
  if (!isObject(raw)) throw malformed(`${where} must be a JSON object.`);
  for (const field of Object.keys(raw)) {
    if (UNSUPPORTED_FIELDS.has(field)) throw malformed(`${where}: ${field} is not supported by this emulator.`);
    if (!STATEMENT_FIELDS.has(field)) throw malformed(`${where}: unknown element "${field}".`);
  }
  const sid = raw['Sid'];
  if (sid !== undefined && (typeof sid !== 'string' || sid.length > 256)) throw malformed(`${where}: Sid must be a string.`);
  const effect = raw['Effect'];
  if (effect !== 'Allow' && effect !== 'Deny') throw malformed(`${where}: Effect must be "Allow" or "Deny".`);
  return {
    sid: sid as string | undefined,
    effect,
    principals: parsePrincipal(raw['Principal'], where),
    actions: stringList(raw['Action'], `${where}: Action`).map((action) => parseAction(action, where)),
    resources: stringList(raw['Resource'], `${where}: Resource`).map((resource) => parseResource(resource, where)),
    conditions: raw['Condition'] === undefined ? [] : parseConditionBlock(raw['Condition'], where, keepUnknown),
  };
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) throw malformed(`${what} is required.`);
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.length > LIST_ENTRIES_MAX) {
    throw malformed(`${what} must hold 1 to ${LIST_ENTRIES_MAX} entries.`);
  }
  for (const entry of list) {
    if (typeof entry !== 'string' || entry.length === 0 || entry.length > 2048) {
      throw malformed(`${what} entries must be non-empty strings.`);
    }
  }
  return list as string[];
}

function parsePrincipal(value: unknown, where: string): '*' | readonly string[] {
  if (value === undefined) throw malformed(`${where}: a key policy statement needs a Principal.`);
  if (value === '*') return '*';
  if (!isObject(value)) throw malformed(`${where}: Principal must be "*" or {"AWS": …}.`);
  for (const field of Object.keys(value)) {
    if (field !== 'AWS') throw malformed(`${where}: only AWS principals are supported, not "${field}".`);
  }
  const arns = stringList(value['AWS'], `${where}: Principal.AWS`);
  if (arns.includes('*')) return '*';
  return arns.map((entry) => {
    if (/^\d{12}$/.test(entry)) return `arn:aws:iam::${entry}:root`;
    if (entry.includes('*') || entry.includes('?') || parsePrincipalArn(entry) === undefined) {
      throw malformed(`${where}: invalid principal "${entry}" (an account id or an IAM/STS ARN, no wildcards).`);
    }
    return entry;
  });
}

function parseAction(action: string, where: string): string {
  if (action === '*') return '*';
  const lower = action.toLowerCase();
  if (!lower.startsWith('kms:') || !/^kms:[a-z*?]+$/.test(lower)) {
    throw malformed(`${where}: invalid action "${action}" (expected "kms:<Action>" or a kms: wildcard).`);
  }
  if (!/[*?]/.test(lower) && !KMS_ACTIONS.has(lower)) throw malformed(`${where}: unknown KMS action "${action}".`);
  return lower;
}

function parseResource(resource: string, where: string): string {
  if (resource === '*' || /^arn:aws:kms:[a-z0-9-*?]+:(\d{12}|[*?]+):(key|alias)\/[\w/*?-]+$/.test(resource)) return resource;
  throw malformed(`${where}: invalid resource "${resource}" (use "*" in a key policy).`);
}

function parseConditionBlock(value: unknown, where: string, keepUnknown: boolean): PolicyCondition[] {
  if (!isObject(value)) throw malformed(`${where}: Condition must be a JSON object.`);
  const out: PolicyCondition[] = [];
  for (const [operatorName, block] of Object.entries(value)) {
    if (!isObject(block) || Object.keys(block).length === 0) {
      throw malformed(`${where}: Condition operator ${operatorName} needs an object of condition keys.`);
    }
    for (const [keyWritten, raw] of Object.entries(block)) {
      const key = normalizeConditionKey(keyWritten) ?? (keepUnknown && keyWritten.length <= 256 ? keyWritten.toLowerCase() : undefined);
      if (key === undefined) throw malformed(`${where}: unsupported condition key "${keyWritten}".`);
      out.push(parseCondition(operatorName, key, conditionValues(raw, where, keyWritten), where));
      if (out.length > LIST_ENTRIES_MAX) throw malformed(`${where}: too many conditions.`);
    }
  }
  return out;
}

function conditionValues(raw: unknown, where: string, key: string): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || list.length > LIST_ENTRIES_MAX) {
    throw malformed(`${where}: condition key ${key} must have 1 to ${LIST_ENTRIES_MAX} values.`);
  }
  return list.map((entry: unknown) => {
    // IAM reads JSON numbers and booleans in conditions as their string form.
    if (typeof entry === 'string' && entry.length <= 2048) return entry;
    if (typeof entry === 'boolean' || (typeof entry === 'number' && Number.isFinite(entry))) return String(entry);
    throw malformed(`${where}: condition key ${key} has a value that is not a string.`);
  });
}

function parseCondition(operatorName: string, key: string, values: string[], where: string): PolicyCondition {
  if (operatorName === 'Null') {
    const flags = values.map((v) => v.toLowerCase());
    if (!flags.every((v): v is 'true' | 'false' => v === 'true' || v === 'false')) {
      throw malformed(`${where}: the Null operator takes "true" or "false".`);
    }
    return { operator: 'Null', ifExists: false, key, values: flags };
  }
  const ifExists = operatorName.endsWith('IfExists');
  const base = ifExists ? operatorName.slice(0, -'IfExists'.length) : operatorName;
  const operator = STRING_OPERATORS.find((name) => name === base);
  if (operator === undefined) {
    throw malformed(`${where}: unsupported condition operator "${operatorName}".`, { operator: operatorName });
  }
  return { operator, ifExists, key, values };
}
