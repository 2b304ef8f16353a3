import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  evaluatePolicy,
  IMAGE_SHA384_KEY,
  encryptionContextConditionKey,
  isKmsError,
  parseKeyPolicy,
  parsePrincipalArn,
  pcrConditionKey,
  type CallerIdentity,
} from '../../src/kms/index.ts';
import { globMatch } from './imports.ts';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const PARENT = `arn:aws:iam::${ACCOUNT}:role/parent-instance-role`;
const OWNER = `arn:aws:iam::${ACCOUNT}:role/model-owner`;
const PCR0 = 'ab'.repeat(48);

function who(arn: string): CallerIdentity {
  const identity = parsePrincipalArn(arn);
  if (identity === undefined) throw new Error(`bad test arn ${arn}`);
  return identity;
}

function policy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

function allow(principal: unknown, action: unknown, condition?: object): object {
  return { Effect: 'Allow', Principal: principal, Action: action, Resource: '*', ...(condition ? { Condition: condition } : {}) };
}

function deny(principal: unknown, action: unknown, condition?: object): object {
  return { Effect: 'Deny', Principal: principal, Action: action, Resource: '*', ...(condition ? { Condition: condition } : {}) };
}

function decide(text: string, caller: string, action: string, keys: Record<string, string> = {}): string {
  return evaluatePolicy(parseKeyPolicy(text), {
    action,
    caller: who(caller),
    resourceArn: KEY_ARN,
    conditionKeys: new Map(Object.entries(keys)),
  }).decision;
}

describe('policy evaluation (IAM semantics)', () => {
  const attested = { [IMAGE_SHA384_KEY]: PCR0, [pcrConditionKey(0)]: PCR0 };
  const cases: [string, string, string, string, Record<string, string>, string][] = [
    // name, policy, caller, action, condition keys, expected
    ['exact principal allowed', policy(allow({ AWS: PARENT }, 'kms:Decrypt')), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['other principal: implicit deny', policy(allow({ AWS: PARENT }, 'kms:Decrypt')), OWNER, 'kms:Decrypt', {}, 'implicit-deny'],
    ['other action: implicit deny', policy(allow({ AWS: PARENT }, 'kms:Decrypt')), PARENT, 'kms:Encrypt', {}, 'implicit-deny'],
    ['explicit deny wins over allow', policy(allow('*', 'kms:*'), deny({ AWS: PARENT }, 'kms:Decrypt')), PARENT, 'kms:Decrypt', {}, 'explicit-deny'],
    ['deny of another action leaves allow', policy(allow('*', 'kms:*'), deny({ AWS: PARENT }, 'kms:Encrypt')), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['account root matches a role of the account', policy(allow({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, 'kms:*')), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['account id is the account root', policy(allow({ AWS: ACCOUNT }, 'kms:*')), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['account root does not match another account', policy(allow({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, 'kms:*')), `arn:aws:iam::${OTHER}:role/x`, 'kms:Decrypt', {}, 'implicit-deny'],
    ['role principal matches its assumed-role session', policy(allow({ AWS: PARENT }, 'kms:Decrypt')), `arn:aws:sts::${ACCOUNT}:assumed-role/parent-instance-role/i-0123456789abcdef0`, 'kms:Decrypt', {}, 'allow'],
    ['principal list', policy(allow({ AWS: [OWNER, PARENT] }, 'kms:Decrypt')), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['wildcard principal', policy(allow('*', 'kms:Decrypt')), `arn:aws:iam::${OTHER}:user/eve`, 'kms:Decrypt', {}, 'allow'],
    ['kms:Generate* matches GenerateDataKey', policy(allow('*', 'kms:Generate*')), PARENT, 'kms:GenerateDataKey', {}, 'allow'],
    ['kms:Generate* matches GenerateRandom', policy(allow('*', 'kms:Generate*')), PARENT, 'kms:GenerateRandom', {}, 'allow'],
    ['kms:Generate* does not match Decrypt', policy(allow('*', 'kms:Generate*')), PARENT, 'kms:Decrypt', {}, 'implicit-deny'],
    ['kms:GenerateDataKey? matches no longer name', policy(allow('*', 'kms:GenerateDataKey?')), PARENT, 'kms:GenerateDataKeyPair', {}, 'implicit-deny'],
    ['action names are case-insensitive', policy(allow('*', 'KMS:decrypt')), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['bare * action', policy(allow('*', '*')), PARENT, 'kms:PutKeyPolicy', {}, 'allow'],
    ['ImageSha384 equal', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'kms:RecipientAttestation:ImageSha384': PCR0 } })), PARENT, 'kms:Decrypt', attested, 'allow'],
    ['ImageSha384 different', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'kms:RecipientAttestation:ImageSha384': 'cd'.repeat(48) } })), PARENT, 'kms:Decrypt', attested, 'implicit-deny'],
    ['ImageSha384 absent (no attestation)', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'kms:RecipientAttestation:ImageSha384': PCR0 } })), PARENT, 'kms:Decrypt', {}, 'implicit-deny'],
    ['condition key names are case-insensitive', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'KMS:recipientattestation:imagesha384': PCR0 } })), PARENT, 'kms:Decrypt', attested, 'allow'],
    ['StringEquals is case-sensitive on values', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'kms:RecipientAttestation:PCR0': PCR0.toUpperCase() } })), PARENT, 'kms:Decrypt', attested, 'implicit-deny'],
    ['StringEqualsIgnoreCase ignores case', policy(allow('*', 'kms:Decrypt', { StringEqualsIgnoreCase: { 'kms:RecipientAttestation:PCR0': PCR0.toUpperCase() } })), PARENT, 'kms:Decrypt', attested, 'allow'],
    ['values are OR-ed', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'kms:RecipientAttestation:PCR0': ['00', PCR0] } })), PARENT, 'kms:Decrypt', attested, 'allow'],
    ['keys are AND-ed (one fails)', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'kms:RecipientAttestation:PCR0': PCR0, 'kms:CallerAccount': OTHER } })), PARENT, 'kms:Decrypt', { ...attested, 'kms:calleraccount': ACCOUNT }, 'implicit-deny'],
    ['keys are AND-ed (both hold)', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'kms:RecipientAttestation:PCR0': PCR0, 'kms:CallerAccount': ACCOUNT } })), PARENT, 'kms:Decrypt', { ...attested, 'kms:calleraccount': ACCOUNT }, 'allow'],
    ['StringNotEquals with the key absent is true (IAM)', policy(allow('*', 'kms:Decrypt', { StringNotEquals: { 'kms:RecipientAttestation:PCR0': PCR0 } })), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['StringNotEquals with an equal value is false', policy(allow('*', 'kms:Decrypt', { StringNotEquals: { 'kms:RecipientAttestation:PCR0': PCR0 } })), PARENT, 'kms:Decrypt', attested, 'implicit-deny'],
    ['IfExists with the key absent is true', policy(allow('*', 'kms:Decrypt', { StringEqualsIfExists: { 'kms:RecipientAttestation:ImageSha384': PCR0 } })), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['IfExists with a wrong value is false', policy(allow('*', 'kms:Decrypt', { StringEqualsIfExists: { 'kms:RecipientAttestation:ImageSha384': '00' } })), PARENT, 'kms:Decrypt', attested, 'implicit-deny'],
    ['Null true holds when absent', policy(allow('*', 'kms:Decrypt', { Null: { 'kms:RecipientAttestation:ImageSha384': 'true' } })), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['Null true fails when present', policy(allow('*', 'kms:Decrypt', { Null: { 'kms:RecipientAttestation:ImageSha384': 'true' } })), PARENT, 'kms:Decrypt', attested, 'implicit-deny'],
    ['Null false holds when present', policy(allow('*', 'kms:Decrypt', { Null: { 'kms:RecipientAttestation:ImageSha384': false } })), PARENT, 'kms:Decrypt', attested, 'allow'],
    ['Deny-without-attestation pattern: refused without a document', policy(allow({ AWS: PARENT }, 'kms:Decrypt'), deny('*', 'kms:Decrypt', { Null: { 'kms:RecipientAttestation:ImageSha384': 'true' } })), PARENT, 'kms:Decrypt', {}, 'explicit-deny'],
    ['Deny-without-attestation pattern: allowed with one', policy(allow({ AWS: PARENT }, 'kms:Decrypt'), deny('*', 'kms:Decrypt', { Null: { 'kms:RecipientAttestation:ImageSha384': 'true' } })), PARENT, 'kms:Decrypt', attested, 'allow'],
    ['StringLike on encryption context', policy(allow('*', 'kms:Decrypt', { StringLike: { 'kms:EncryptionContext:model': 'llama-*' } })), PARENT, 'kms:Decrypt', { [encryptionContextConditionKey('model')]: 'llama-70b' }, 'allow'],
    ['StringNotLike on encryption context', policy(allow('*', 'kms:Decrypt', { StringNotLike: { 'kms:EncryptionContext:model': 'llama-*' } })), PARENT, 'kms:Decrypt', { [encryptionContextConditionKey('model')]: 'llama-70b' }, 'implicit-deny'],
    ['encryption context key part is case-sensitive', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'kms:EncryptionContext:Model': 'x' } })), PARENT, 'kms:Decrypt', { [encryptionContextConditionKey('model')]: 'x' }, 'implicit-deny'],
    ['aws:PrincipalArn of a session is its role', policy(allow('*', 'kms:Decrypt', { StringEquals: { 'aws:PrincipalArn': PARENT } })), `arn:aws:sts::${ACCOUNT}:assumed-role/parent-instance-role/s`, 'kms:Decrypt', { 'aws:principalarn': PARENT }, 'allow'],
    ['resource ARN pattern matching the key', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/*` }] }), PARENT, 'kms:Decrypt', {}, 'allow'],
    ['resource ARN of another key', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/other` }] }), PARENT, 'kms:Decrypt', {}, 'implicit-deny'],
  ];
  for (const [name, text, caller, action, keys, expected] of cases) {
    it(name, () => expect(decide(text, caller, action, keys)).toBe(expected));
  }

  it('reports the deciding statement', () => {
    const text = policy({ Sid: 'A', ...allow('*', 'kms:*') }, { Sid: 'D', ...deny({ AWS: PARENT }, 'kms:Decrypt') });
    const result = evaluatePolicy(parseKeyPolicy(text), { action: 'kms:Decrypt', caller: who(PARENT), resourceArn: KEY_ARN, conditionKeys: new Map() });
    expect(result).toEqual({ decision: 'explicit-deny', sid: 'D' });
  });
});

describe('malformed key policies', () => {
  const base = { Effect: 'Allow', Principal: { AWS: PARENT }, Action: 'kms:Decrypt', Resource: '*' };
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"Version":', /not valid JSON/],
    ['not an object', '[]', /JSON object/],
    ['empty text', '', /non-empty/],
    ['missing Version', JSON.stringify({ Statement: [base] }), /Version/],
    ['unknown Version', JSON.stringify({ Version: '2020-01-01', Statement: [base] }), /Version/],
    ['unknown top-level element', JSON.stringify({ Version: '2012-10-17', Statement: [base], Extra: 1 }), /Extra/],
    ['no statements', JSON.stringify({ Version: '2012-10-17', Statement: [] }), /at least one Statement/],
    ['bad Effect', policy({ ...base, Effect: 'allow' }), /Effect/],
    ['missing Principal', policy({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }), /Principal/],
    ['Service principal', policy({ ...base, Principal: { Service: 'ec2.amazonaws.com' } }), /only AWS principals/],
    ['wildcard inside a principal ARN', policy({ ...base, Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/*` } }), /invalid principal/],
    ['garbage principal', policy({ ...base, Principal: { AWS: 'bob' } }), /invalid principal/],
    ['non-KMS action', policy({ ...base, Action: 's3:GetObject' }), /invalid action/],
    ['unknown KMS action', policy({ ...base, Action: 'kms:Decrypts' }), /unknown KMS action/],
    ['action with odd characters', policy({ ...base, Action: 'kms:Decrypt2' }), /invalid action/],
    ['empty action list', policy({ ...base, Action: [] }), /Action must hold/],
    ['missing Resource', policy({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt' }), /Resource is required/],
    ['bad Resource', policy({ ...base, Resource: 'arn:aws:s3:::bucket' }), /invalid resource/],
    ['unknown operator', policy({ ...base, Condition: { NumericEquals: { 'kms:CallerAccount': '1' } } }), /unsupported condition operator/],
    ['set operator', policy({ ...base, Condition: { 'ForAnyValue:StringEquals': { 'kms:CallerAccount': '1' } } }), /unsupported condition operator/],
    ['unknown condition key', policy({ ...base, Condition: { StringEquals: { 'kms:Foo': '1' } } }), /unsupported condition key/],
    ['PCR index beyond 31', policy({ ...base, Condition: { StringEquals: { 'kms:RecipientAttestation:PCR32': '00' } } }), /unsupported condition key/],
    ['PCR index with a leading zero', policy({ ...base, Condition: { StringEquals: { 'kms:RecipientAttestation:PCR01': '00' } } }), /unsupported condition key/],
    ['Null with a non-boolean', policy({ ...base, Condition: { Null: { 'kms:CallerAccount': 'maybe' } } }), /Null operator/],
    ['empty condition values', policy({ ...base, Condition: { StringEquals: { 'kms:CallerAccount': [] } } }), /1 to 100 values/],
    ['object condition value', policy({ ...base, Condition: { StringEquals: { 'kms:CallerAccount': { a: 1 } } } }), /not a string/],
    ['duplicate Sid', policy({ Sid: 'x', ...base }, { Sid: 'x', ...base }), /must be unique/],
    ['NotAction', policy({ ...base, NotAction: 'kms:Encrypt' }), /NotAction is not supported/],
    ['unknown statement element', policy({ ...base, Actions: 'kms:Decrypt' }), /unknown element "Actions"/],
    ['too long', policy({ ...base, Sid: 'x'.repeat(200) }).padEnd(40_000, ' '), /limit is 32768/],
  ];
  for (const [name, text, message] of cases) {
    it(name, () => {
      let caught: unknown;
      try {
        parseKeyPolicy(text);
      } catch (error) {
        caught = error;
      }
      expect(isKmsError(caught, 'KMS_MALFORMED_POLICY')).toBe(true);
      expect((caught as { awsType: string }).awsType).toBe('MalformedPolicyDocumentException');
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('accepts the documented attestation policy shape', () => {
    const parsed = parseKeyPolicy(
      policy(
        allow({ AWS: OWNER }, ['kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:Put*', 'kms:Get*', 'kms:Disable*']),
        allow({ AWS: PARENT }, 'kms:Decrypt', { StringEqualsIgnoreCase: { 'kms:RecipientAttestation:ImageSha384': PCR0, 'kms:RecipientAttestation:PCR8': '00' } }),
      ),
    );
    expect(parsed.statements).toHaveLength(2);
    expect(parsed.statements[1]!.conditions.map((c) => c.key)).toEqual([IMAGE_SHA384_KEY, pcrConditionKey(8)]);
  });
});

describe('wildcard matching', () => {
  // Reference: an anchored regex built from the same pattern (safe here: tiny inputs).
  const reference = (pattern: string, text: string) =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's').test(text);
  it('agrees with a regex reference on random inputs', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(fc.constantFrom('a', 'b'), { maxLength: 10 }), (p, t) => {
        expect(globMatch(p.join(''), t.join(''))).toBe(reference(p.join(''), t.join('')));
      }),
      { numRuns: 2000 },
    );
  });
  it('treats regex metacharacters literally', () => {
    expect(globMatch('a.c', 'abc')).toBe(false);
    expect(globMatch('a.c', 'a.c')).toBe(true);
  });
});
