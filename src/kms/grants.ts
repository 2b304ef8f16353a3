import { sha256Hex, toHex, utf8, type RandomSource } from '../crypto/index.ts';
import { assert } from '../errors.ts';
import { canonicalJson } from '../sim/index.ts';
import { KmsError } from './errors.ts';
import type { CallerIdentity } from './principal.ts';
import type { EncryptionContext, GrantConstraints, GrantOperation } from './types.ts';

export const GRANT_OPERATIONS: readonly GrantOperation[] = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'ReEncryptFrom',
  'ReEncryptTo',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'GetPublicKey',
  'DeriveSharedSecret',
];

/** One grant as KMS keeps it. Replaced or deleted, never mutated. */
export interface GrantRecord {
  readonly grantId: string;
  readonly keyId: string;
  readonly token: string;
  readonly name: string | undefined;
  readonly creationMs: number;
  readonly granteePrincipal: string;
  readonly retiringPrincipal: string | undefined;
  readonly issuingAccount: string;
  readonly operations: readonly GrantOperation[];
  readonly constraints: GrantConstraints | undefined;
}

const TOKEN_PREFIX = 'nitro-emu-grant-token-v1.';
export const GRANT_TOKEN_LENGTH_MAX = 8192;

/**
 * Grants per key. The token is an opaque random string naming one grant; real KMS tokens let a grant act before it
 * has propagated. Here every grant is effective the moment CreateGrant returns, with or without its token, so a
 * token only has to be well-formed (a malformed one is InvalidGrantTokenException, as in real KMS).
 */
export class GrantStore {
  readonly #grants = new Map<string, GrantRecord>();
  readonly #byToken = new Map<string, string>();
  readonly #grantsMax: number;
  readonly #random: RandomSource;
  #version = 0;

  constructor(grantsMax: number, random: RandomSource) {
    assert(Number.isSafeInteger(grantsMax) && grantsMax > 0, 'grantsMax must be positive');
    this.#grantsMax = grantsMax;
    this.#random = random;
  }

  get size(): number {
    return this.#grants.size;
  }

  /** Bumped by every change, so a served KMS knows when to persist. */
  get version(): number {
    return this.#version;
  }

  /** Every grant, oldest first, for the state file. */
  all(): readonly GrantRecord[] {
    return [...this.#grants.values()];
  }

  /** Draws id and token; the store is unchanged until `add`. */
  newIdentity(): { grantId: string; token: string } {
    if (this.#grants.size >= this.#grantsMax) {
      throw new KmsError('KMS_LIMIT_EXCEEDED', 'LimitExceededException', `The account already has ${this.#grantsMax} grants.`);
    }
    for (let attempt = 0; attempt < 8; attempt++) {
      const grantId = toHex(this.#random.bytes(32));
      if (!this.#grants.has(grantId)) return { grantId, token: `${TOKEN_PREFIX}${toHex(this.#random.bytes(48))}` };
    }
    assert(false, 'eight grant id collisions in a row: the stream is broken');
  }

  add(record: GrantRecord): void {
    assert(!this.#grants.has(record.grantId) && this.#grants.size < this.#grantsMax, 'newIdentity precedes add');
    this.#grants.set(record.grantId, Object.freeze(record));
    this.#byToken.set(record.token, record.grantId);
    this.#version++;
  }

  get(grantId: string): GrantRecord | undefined {
    return this.#grants.get(grantId);
  }

  byToken(token: string): GrantRecord | undefined {
    const id = this.#byToken.get(token);
    return id === undefined ? undefined : this.#grants.get(id);
  }

  forKey(keyId: string): readonly GrantRecord[] {
    return [...this.#grants.values()].filter((g) => g.keyId === keyId);
  }

  remove(grantId: string): void {
    const record = this.#grants.get(grantId);
    assert(record !== undefined, `no grant ${grantId}`);
    this.#grants.delete(grantId);
    this.#byToken.delete(record.token);
    this.#version++;
  }

  /** Drops every grant on a deleted key. */
  removeForKey(keyId: string): void {
    for (const grant of this.forKey(keyId)) this.remove(grant.grantId);
  }

  /**
   * The first grant on `keyId` that lets `caller` perform `operation` with this encryption context. A grant's
   * grantee is matched exactly, or as the role an assumed-role session belongs to.
   */
  match(keyId: string, caller: CallerIdentity, operation: GrantOperation, context: EncryptionContext): GrantRecord | undefined {
    for (const grant of this.#grants.values()) {
      if (grant.keyId !== keyId) continue;
      if (grant.granteePrincipal !== caller.arn && grant.granteePrincipal !== caller.principalArn) continue;
      if (!grant.operations.includes(operation)) continue;
      if (!constraintsHold(grant.constraints, context)) continue;
      return grant;
    }
    return undefined;
  }

  /** Ids, keys, grantees, operations and constraints (tokens only as a hash), for before/after comparisons. */
  digest(): string {
    const grants = [...this.#grants.values()]
      .sort((a, b) => (a.grantId < b.grantId ? -1 : 1))
      .map((g) => ({ ...g, token: sha256Hex(utf8(g.token)), name: g.name ?? null, retiringPrincipal: g.retiringPrincipal ?? null, constraints: g.constraints ?? null }));
    return sha256Hex(utf8(canonicalJson({ grants })));
  }
}

/** Real KMS semantics: Subset = every constraint pair is in the request's context; Equals = exactly that context. */
export function constraintsHold(constraints: GrantConstraints | undefined, context: EncryptionContext): boolean {
  if (constraints === undefined) return true;
  const { EncryptionContextSubset: subset, EncryptionContextEquals: equals } = constraints;
  if (subset !== undefined) {
    for (const [k, v] of Object.entries(subset)) if (!Object.hasOwn(context, k) || context[k] !== v) return false;
  }
  if (equals !== undefined) {
    const keys = Object.keys(context);
    if (keys.length !== Object.keys(equals).length) return false;
    for (const k of keys) if (!Object.hasOwn(equals, k) || equals[k] !== context[k]) return false;
  }
  return true;
}

/** Tokens must look like ours; an unknown but well-formed token is ignored (the grant may be retired already). */
export function checkGrantTokens(tokens: readonly string[] | undefined): void {
  if (tokens === undefined) return;
  for (const token of tokens) {
    if (token.length === 0 || token.length > GRANT_TOKEN_LENGTH_MAX || !token.startsWith(TOKEN_PREFIX)) {
      throw new KmsError('KMS_INVALID_GRANT_TOKEN', 'InvalidGrantTokenException', 'The grant token is not valid.');
    }
  }
}
