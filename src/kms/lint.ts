import { normalizeConditionKey } from './condition-keys.ts';
import { globMatch } from './glob.ts';

/**
 * The key-policy linter: the KP mistakes of research/attacks.md §2 that make attestation-gated key release moot.
 * It reads the policy as written (not the parsed form), so it can also name keys the parser would not know.
 * With the `policyLint` defence on, KMS refuses a policy with any finding of severity 'error'.
 */
export interface Finding {
  readonly code: LintCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** The statement's Sid, else its index; -1 for the document as a whole. */
  readonly statement: string | number;
}

export type LintCode =
  | 'KP_NOT_A_POLICY'
  | 'KP_ACCOUNT_WIDE_KMS_ALL'
  | 'KP_UNGATED_KEY_RELEASE'
  | 'KP_ZERO_PCR'
  | 'KP_IF_EXISTS_ATTESTATION'
  | 'KP_UNKNOWN_CONDITION_KEY'
  | 'KP_WEAK_MEASUREMENT'
  | 'KP_WILDCARD_ATTESTATION'
  | 'KP_UNAPPROVED_PCR0';

export interface LintOptions {
  /** PCR0 values (hex) the owner approves; an ImageSha384/PCR0 condition naming another is an error. */
  readonly approvedPcr0s?: readonly string[];
  /** Principals that own the key besides those the policy lets administer it (PutKeyPolicy) unconditionally. */
  readonly ownerArns?: readonly string[];
}

const ATTESTATION_PREFIX = 'kms:recipientattestation:';
const IMAGE_KEY = 'kms:recipientattestation:imagesha384';
const PCR0_KEY = 'kms:recipientattestation:pcr0';
/** PCRs that say nothing about the image: the parent's role (3), the instance (4), the signing certificate (8). */
const WEAK_PCR_KEYS = new Set(['kms:recipientattestation:pcr3', 'kms:recipientattestation:pcr4', 'kms:recipientattestation:pcr8']);
/** Operations that hand out this key's protected material (GenerateRandom is not a key operation). */
const KEY_YIELDING_NAMES = ['Decrypt', 'GenerateDataKey', 'GenerateDataKeyPair', 'ReEncryptFrom', 'DeriveSharedSecret'];
const KEY_YIELDING_ACTIONS = KEY_YIELDING_NAMES.map((name) => `kms:${name.toLowerCase()}`);
const GATING_OPERATORS = new Set(['stringequals', 'stringequalsignorecase']);
const KNOWN_KEYS_SHOWN = [
  'kms:RecipientAttestation:ImageSha384',
  ...Array.from({ length: 9 }, (_, i) => `kms:RecipientAttestation:PCR${i}`),
  'kms:CallerAccount',
  'kms:EncryptionContext:<key>',
  'aws:PrincipalArn',
  'aws:PrincipalAccount',
];
const STATEMENTS_MAX = 100;
const LIST_MAX = 100;
const ZERO_PCR_HEX = '0'.repeat(96);

interface Cond {
  readonly operator: string;
  readonly written: string;
  /** Normalized key, or undefined when unknown. */
  readonly key: string | undefined;
  readonly values: readonly string[];
}

interface Stmt {
  readonly where: string | number;
  readonly effect: string;
  /** '*' or principal ARNs as written (an account id becomes its root ARN). */
  readonly principals: '*' | readonly string[];
  readonly actions: readonly string[];
  readonly conditions: readonly Cond[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list
    .slice(0, LIST_MAX)
    .map((v) => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : ''))
    .filter((v) => v.length > 0 && v.length <= 2048);
}

function readStatement(raw: unknown, index: number): Stmt | undefined {
  if (!isObject(raw)) return undefined;
  const sid = raw['Sid'];
  const where = typeof sid === 'string' && sid.length > 0 ? sid.slice(0, 256) : index;
  const principal = raw['Principal'];
  let principals: '*' | string[] = [];
  if (principal === '*') principals = '*';
  else if (isObject(principal)) {
    const arns = strings(principal['AWS']).map((a) => (/^\d{12}$/.test(a) ? `arn:aws:iam::${a}:root` : a));
    principals = arns.includes('*') ? '*' : arns;
  }
  const conditions: Cond[] = [];
  const block = raw['Condition'];
  if (isObject(block)) {
    for (const [operator, keys] of Object.entries(block).slice(0, LIST_MAX)) {
      if (!isObject(keys)) continue;
      for (const [written, values] of Object.entries(keys).slice(0, LIST_MAX)) {
        conditions.push({ operator, written, key: normalizeConditionKey(written), values: strings(values) });
      }
    }
  }
  return {
    where,
    effect: typeof raw['Effect'] === 'string' ? raw['Effect'] : '',
    principals,
    actions: strings(raw['Action']).map((a) => a.toLowerCase()),
    conditions,
  };
}

function isAttestationKey(key: string | undefined): boolean {
  return key !== undefined && key.startsWith(ATTESTATION_PREFIX);
}

function allows(statement: Stmt, action: string): boolean {
  return statement.actions.some((pattern) => globMatch(pattern, action));
}

function isAccountWide(principals: Stmt['principals']): boolean {
  return principals === '*' || principals.some((arn) => /^arn:aws:iam::\d{12}:root$/.test(arn));
}

/** A positive, exact attestation condition in this very statement. */
function gatedInStatement(statement: Stmt): boolean {
  return statement.conditions.some((c) => isAttestationKey(c.key) && GATING_OPERATORS.has(c.operator.toLowerCase()));
}

/** A Deny that covers this principal and action whenever attestation is absent (Null: true). */
function gatedByDeny(denies: readonly Stmt[], principal: string, action: string): boolean {
  return denies.some(
    (deny) =>
      (deny.principals === '*' || deny.principals.includes(principal)) &&
      allows(deny, action) &&
      deny.conditions.some(
        (c) => isAttestationKey(c.key) && c.operator.toLowerCase() === 'null' && c.values.some((v) => v.toLowerCase() === 'true'),
      ),
  );
}

/** Plain Levenshtein distance, bounded by the caller to short strings. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function closestConditionKey(written: string): string {
  const probe = written.slice(0, 128).toLowerCase();
  let best = KNOWN_KEYS_SHOWN[0]!;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const known of KNOWN_KEYS_SHOWN) {
    const d = distance(probe, known.toLowerCase());
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

function parseDocument(policy: string | object): readonly unknown[] | string {
  let document: unknown = policy;
  if (typeof policy === 'string') {
    try {
      document = JSON.parse(policy);
    } catch {
      return 'the policy is not valid JSON';
    }
  }
  if (!isObject(document)) return 'the policy is not a JSON object';
  const raw = document['Statement'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (list.length === 0) return 'the policy has no Statement';
  if (list.length > STATEMENTS_MAX) return `the policy has more than ${STATEMENTS_MAX} statements`;
  return list;
}

export function lintKeyPolicy(policy: string | object, options: LintOptions = {}): Finding[] {
  const list = parseDocument(policy);
  if (typeof list === 'string') return [{ code: 'KP_NOT_A_POLICY', severity: 'error', message: list, statement: -1 }];
  const statements = list.map(readStatement).filter((s): s is Stmt => s !== undefined);
  const findings: Finding[] = [];
  const add = (code: LintCode, severity: Finding['severity'], statement: Stmt, message: string) =>
    findings.push({ code, severity, message, statement: statement.where });
  const allowsList = statements.filter((s) => s.effect === 'Allow');
  const denies = statements.filter((s) => s.effect === 'Deny');
  const owners = new Set(options.ownerArns ?? []);
  for (const s of allowsList) {
    if (s.principals !== '*' && s.conditions.length === 0 && allows(s, 'kms:putkeypolicy')) {
      for (const arn of s.principals) if (!isAccountWide([arn])) owners.add(arn);
    }
  }
  const keyIsAttested = statements.some((s) => s.conditions.some((c) => isAttestationKey(c.key)));
  const approved = options.approvedPcr0s?.map((p) => p.toLowerCase());

  for (const s of statements) {
    lintConditions(s, add, approved);
  }
  for (const s of allowsList) {
    if (isAccountWide(s.principals) && s.conditions.length === 0 && allows(s, 'kms:*')) {
      add(
        'KP_ACCOUNT_WIDE_KMS_ALL',
        keyIsAttested ? 'error' : 'warning',
        s,
        keyIsAttested
          ? `${s.principals === '*' ? 'every principal' : 'the account root'} may do kms:* unconditionally, which makes the attestation conditions moot (KP-01)`
          : `${s.principals === '*' ? 'every principal' : 'the account root'} may do kms:* (the default policy): any IAM admin of the account can grant itself the key (KP-01)`,
      );
      continue;
    }
    if (gatedInStatement(s)) continue;
    const principals = s.principals === '*' ? ['*'] : s.principals.filter((arn) => !owners.has(arn));
    for (const principal of principals) {
      const ungated = KEY_YIELDING_ACTIONS.filter((action) => allows(s, action) && !gatedByDeny(denies, principal, action));
      if (ungated.length === 0) continue;
      add(
        'KP_UNGATED_KEY_RELEASE',
        keyIsAttested ? 'error' : 'warning',
        s,
        `${principal} may ${ungated.map((a) => KEY_YIELDING_NAMES[KEY_YIELDING_ACTIONS.indexOf(a)]).join(', ')} without an attestation condition` +
          (keyIsAttested ? ': the key is attestation-gated elsewhere, so this is a way around it (KP-02)' : ''),
      );
    }
  }
  return findings;
}

function lintConditions(
  s: Stmt,
  add: (code: LintCode, severity: Finding['severity'], statement: Stmt, message: string) => void,
  approved: readonly string[] | undefined,
): void {
  const attestationKeys = new Set<string>();
  for (const c of s.conditions) {
    if (c.key === undefined) {
      add('KP_UNKNOWN_CONDITION_KEY', 'error', s, `unknown condition key "${c.written.slice(0, 128)}"; did you mean "${closestConditionKey(c.written)}"? (KP-05)`);
      continue;
    }
    if (!isAttestationKey(c.key)) continue;
    const operator = c.operator.toLowerCase();
    if (operator !== 'null') attestationKeys.add(c.key);
    if (operator.endsWith('ifexists')) {
      add('KP_IF_EXISTS_ATTESTATION', 'error', s, `${c.operator} on ${c.written}: a request without attestation passes this condition (KP-05)`);
    }
    if (operator.startsWith('stringlike') || operator.startsWith('stringnotlike')) {
      add('KP_WILDCARD_ATTESTATION', 'error', s, `${c.operator} on ${c.written}: attestation values must match exactly (KP-05)`);
    }
    if (c.values.some((v) => v.toLowerCase() === ZERO_PCR_HEX)) {
      add('KP_ZERO_PCR', 'error', s, `${c.written} names the all-zero PCR of a debug-mode enclave (KP-03)`);
    }
    if (approved !== undefined && (c.key === IMAGE_KEY || c.key === PCR0_KEY) && operator !== 'null') {
      const stray = c.values.filter((v) => !approved.includes(v.toLowerCase()) && v.toLowerCase() !== ZERO_PCR_HEX);
      if (stray.length > 0) add('KP_UNAPPROVED_PCR0', 'error', s, `${c.written} names an image that is not approved: ${stray[0]!.slice(0, 24)}…`);
    }
  }
  const measured = [...attestationKeys];
  if (measured.length > 0 && measured.every((k) => WEAK_PCR_KEYS.has(k))) {
    // PCR8 still pins the code to a signer (a documented trade-off: the signing key becomes the crown jewel);
    // PCR3/PCR4 alone say only who launched the enclave, so whatever that parent launches passes.
    const signerPinned = measured.includes('kms:recipientattestation:pcr8');
    add(
      'KP_WEAK_MEASUREMENT',
      signerPinned ? 'warning' : 'error',
      s,
      signerPinned
        ? 'the attestation condition names only PCR3/PCR4/PCR8 (role, instance, signing certificate): any image on that instance or signed by that key passes (KP-04)'
        : 'the attestation condition names only PCR3/PCR4 (role, instance): any image that parent launches passes (KP-04)',
    );
  }
}

/** Only the findings that block a policy. */
export function lintErrors(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error');
}
