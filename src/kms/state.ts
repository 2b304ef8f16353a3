// The KMS's persistent state as plain JSON values, for `kms serve --state FILE` (the file's framing and integrity
// check live in src/kms-server). Restoring re-validates every field: the file is input like any other.
import { fromBase64, toBase64 } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import { isKeyUuid } from './ciphertext.ts';
import { GRANT_OPERATIONS, type GrantRecord, type GrantStore } from './grants.ts';
import type { KeyEntry, KeyRecord, KeyStore } from './keys.ts';
import type { NonceCache } from './nonce-cache.ts';
import { parseKeyPolicy, POLICY_TEXT_LENGTH_MAX } from './policy.ts';
import type { GrantConstraints, GrantOperation } from './types.ts';

export const KMS_STATE_VERSION = 1;

export interface KeySnapshot {
  readonly id: string;
  readonly creationMs: number;
  readonly description: string;
  readonly enabled: boolean;
  readonly deletionMs: number | null;
  readonly policyText: string;
  readonly keyUsage: KeyRecord['keyUsage'];
  readonly keySpec: KeyRecord['keySpec'];
  /** Base64: 32-byte AES key, or the 48-byte P-384 scalar of a KEY_AGREEMENT key. */
  readonly material: string;
  /** Base64 uncompressed P-384 point (KEY_AGREEMENT keys only). */
  readonly publicPoint: string | null;
}

export interface GrantSnapshot {
  readonly grantId: string;
  readonly keyId: string;
  readonly token: string;
  readonly name: string | null;
  readonly creationMs: number;
  readonly granteePrincipal: string;
  readonly retiringPrincipal: string | null;
  readonly issuingAccount: string;
  readonly operations: readonly GrantOperation[];
  readonly constraints: GrantConstraints | null;
}

export interface KmsStateSnapshot {
  readonly version: typeof KMS_STATE_VERSION;
  readonly keys: readonly KeySnapshot[];
  /** [alias name, key id]. */
  readonly aliases: readonly (readonly [string, string])[];
  readonly grants: readonly GrantSnapshot[];
  /** Attestation nonces already spent and not yet past their document's freshness: [hex, forget-after ms]. */
  readonly nonces: readonly (readonly [string, number])[];
}

const ENTRIES_MAX = 100_000;
const TEXT_LENGTH_MAX = 8192;

export function exportSnapshot(keys: KeyStore, grants: GrantStore, nonces: NonceCache, nowMs: number): KmsStateSnapshot {
  return {
    version: KMS_STATE_VERSION,
    keys: keys.exportEntries().map(({ record, material, publicPoint }) => ({
      id: record.id,
      creationMs: record.creationMs,
      description: record.description,
      enabled: record.enabled,
      deletionMs: record.deletionMs,
      policyText: record.policyText,
      keyUsage: record.keyUsage,
      keySpec: record.keySpec,
      material: toBase64(material),
      publicPoint: publicPoint === undefined ? null : toBase64(publicPoint),
    })),
    aliases: keys.aliases().map(([name, id]) => [name, id] as const),
    grants: grants.all().map((g) => ({
      ...g,
      name: g.name ?? null,
      retiringPrincipal: g.retiringPrincipal ?? null,
      constraints: g.constraints ?? null,
    })),
    nonces: nonces.live(nowMs).map(([nonce, expiresMs]) => [nonce, expiresMs] as const),
  };
}

function invalid(message: string, details?: Record<string, unknown>): EmuError {
  return new EmuError('KMS_STATE_INVALID', `KMS state: ${message}`, details);
}

type Obj = Record<string, unknown>;

function object(value: unknown, what: string, fields: readonly string[]): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${what} is not an object`);
  const names = Object.keys(value);
  const extra = names.find((n) => !fields.includes(n));
  if (extra !== undefined || names.length !== fields.length) throw invalid(`${what} has fields ${names.join(',').slice(0, 200)}`);
  return value as Obj;
}

function list(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value) || value.length > ENTRIES_MAX) throw invalid(`${what} is not a list of at most ${ENTRIES_MAX}`);
  return value;
}

function text(value: unknown, what: string, lengthMax = TEXT_LENGTH_MAX): string {
  if (typeof value !== 'string' || value.length > lengthMax) throw invalid(`${what} is not a string`);
  return value;
}

function textOrNull(value: unknown, what: string): string | undefined {
  return value === null ? undefined : text(value, what);
}

function timeMs(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(`${what} is not a time in ms`);
  return value;
}

function bytes(value: unknown, what: string, length: number): Uint8Array {
  let out: Uint8Array;
  try {
    out = fromBase64(text(value, what));
  } catch {
    throw invalid(`${what} is not base64`);
  }
  if (out.length !== length) throw invalid(`${what} has ${out.length} bytes, not ${length}`);
  return out;
}

function stringMap(value: unknown, what: string): Readonly<Record<string, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${what} is not a map`);
  const entries = Object.entries(value);
  if (entries.length > 64 || !entries.every(([, v]) => typeof v === 'string')) throw invalid(`${what} is not a map of strings`);
  return Object.fromEntries(entries) as Record<string, string>;
}

function keyEntry(value: unknown, i: number): KeyEntry {
  const what = `keys[${i}]`;
  const k = object(value, what, ['id', 'creationMs', 'description', 'enabled', 'deletionMs', 'policyText', 'keyUsage', 'keySpec', 'material', 'publicPoint']);
  const id = text(k['id'], `${what}.id`);
  if (!isKeyUuid(id)) throw invalid(`${what}.id is not a key id`);
  const keyUsage = k['keyUsage'];
  const keySpec = k['keySpec'];
  const asymmetric = keyUsage === 'KEY_AGREEMENT' && keySpec === 'ECC_NIST_P384';
  if (!asymmetric && !(keyUsage === 'ENCRYPT_DECRYPT' && keySpec === 'SYMMETRIC_DEFAULT')) throw invalid(`${what} has an unknown key spec`);
  if (typeof k['enabled'] !== 'boolean') throw invalid(`${what}.enabled is not a boolean`);
  const policyText = text(k['policyText'], `${what}.policyText`, POLICY_TEXT_LENGTH_MAX);
  let policy;
  try {
    // Admitted (and linted, if the defence was on) when it was stored; only its syntax is checked again.
    policy = parseKeyPolicy(policyText, { unknownConditionKeys: 'keep' });
  } catch {
    throw invalid(`${what}.policyText is not a key policy`);
  }
  if (!asymmetric && k['publicPoint'] !== null) throw invalid(`${what}.publicPoint on a symmetric key`);
  return {
    record: {
      id,
      arn: '',
      creationMs: timeMs(k['creationMs'], `${what}.creationMs`),
      description: text(k['description'], `${what}.description`),
      enabled: k['enabled'],
      deletionMs: k['deletionMs'] === null ? null : timeMs(k['deletionMs'], `${what}.deletionMs`),
      policyText,
      policy,
      keyUsage,
      keySpec,
    },
    material: bytes(k['material'], `${what}.material`, asymmetric ? 48 : 32),
    publicPoint: asymmetric ? bytes(k['publicPoint'], `${what}.publicPoint`, 97) : undefined,
  };
}

function grantRecord(value: unknown, i: number, keyIds: ReadonlySet<string>): GrantRecord {
  const what = `grants[${i}]`;
  const g = object(value, what, ['grantId', 'keyId', 'token', 'name', 'creationMs', 'granteePrincipal', 'retiringPrincipal', 'issuingAccount', 'operations', 'constraints']);
  const keyId = text(g['keyId'], `${what}.keyId`);
  if (!keyIds.has(keyId)) throw invalid(`${what} names a key the state does not hold`);
  const operations = list(g['operations'], `${what}.operations`);
  if (operations.length > GRANT_OPERATIONS.length || !operations.every((op) => GRANT_OPERATIONS.includes(op as GrantOperation))) {
    throw invalid(`${what}.operations names an unknown operation`);
  }
  let constraints: GrantConstraints | undefined;
  if (g['constraints'] !== null) {
    const c = g['constraints'];
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw invalid(`${what}.constraints is not an object`);
    const fields = Object.keys(c);
    if (!fields.every((f) => f === 'EncryptionContextSubset' || f === 'EncryptionContextEquals')) throw invalid(`${what}.constraints has unknown fields`);
    constraints = Object.fromEntries(fields.map((f) => [f, stringMap((c as Obj)[f], `${what}.constraints.${f}`)]));
  }
  return {
    grantId: text(g['grantId'], `${what}.grantId`),
    keyId,
    token: text(g['token'], `${what}.token`),
    name: textOrNull(g['name'], `${what}.name`),
    creationMs: timeMs(g['creationMs'], `${what}.creationMs`),
    granteePrincipal: text(g['granteePrincipal'], `${what}.granteePrincipal`),
    retiringPrincipal: textOrNull(g['retiringPrincipal'], `${what}.retiringPrincipal`),
    issuingAccount: text(g['issuingAccount'], `${what}.issuingAccount`),
    operations: operations as GrantOperation[],
    constraints,
  };
}

/** A value for an error message: scalars as text, never String() of an object (a deep array overflows the stack). */
function shortText(value: unknown): string {
  return value !== null && typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : String(value).slice(0, 20);
}

/** Validates the whole snapshot before touching the stores, so a bad one leaves them as they were (empty). */

export function restoreSnapshot(value: unknown, keys: KeyStore, grants: GrantStore, nonces: NonceCache, accountId: string): void {
  const s = object(value, 'state', ['version', 'keys', 'aliases', 'grants', 'nonces']);
  if (s['version'] !== KMS_STATE_VERSION) throw invalid(`version ${shortText(s['version'])} is not ${KMS_STATE_VERSION}`);
  const keyEntries = list(s['keys'], 'keys').map(keyEntry);
  const keyIds = new Set(keyEntries.map((e) => e.record.id));
  if (keyIds.size !== keyEntries.length) throw invalid('a key id appears twice');
  const aliases = list(s['aliases'], 'aliases').map((a, i) => {
    const pair = list(a, `aliases[${i}]`);
    const name = text(pair[0], `aliases[${i}][0]`, 256);
    const keyId = text(pair[1], `aliases[${i}][1]`);
    if (pair.length !== 2 || !/^alias\/[a-zA-Z0-9/_-]+$/.test(name) || !keyIds.has(keyId)) throw invalid(`aliases[${i}] is not an alias of a held key`);
    return [name, keyId] as const;
  });
  if (new Set(aliases.map(([n]) => n)).size !== aliases.length) throw invalid('an alias appears twice');
  const grantRecords = list(s['grants'], 'grants').map((g, i) => grantRecord(g, i, keyIds));
  if (new Set(grantRecords.map((g) => g.grantId)).size !== grantRecords.length) throw invalid('a grant id appears twice');
  if (grantRecords.some((g) => g.issuingAccount !== `arn:aws:iam::${accountId}:root`)) throw invalid('a grant was issued by another account');
  const spent = list(s['nonces'], 'nonces').map((n, i) => {
    const pair = list(n, `nonces[${i}]`);
    const nonce = text(pair[0], `nonces[${i}][0]`, 2048);
    if (pair.length !== 2 || !/^([0-9a-f]{2})+$/.test(nonce)) throw invalid(`nonces[${i}] is not [hex, ms]`);
    return [nonce, timeMs(pair[1], `nonces[${i}][1]`)] as const;
  });
  if (spent.length > nonces.entriesMax || new Set(spent.map(([n]) => n)).size !== spent.length) throw invalid('the spent nonces do not fit or repeat');
  for (const entry of keyEntries) keys.restore(entry);
  nonces.restore(spent);
  for (const [name, keyId] of aliases) keys.addAlias(name, keyId);
  for (const grant of grantRecords) grants.add(grant);
}
