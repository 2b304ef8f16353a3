import {
  aes256GcmOpen,
  aes256GcmSeal,
  concatBytes,
  p384KeyPair,
  p384SharedSecret,
  p384Spki,
  sha256Hex,
  utf8,
  type RandomSource,
} from '../crypto/index.ts';
import { assert, isEmuError } from '../errors.ts';
import { canonicalJson } from '../sim/index.ts';
import { blobAad, blobHeader, encodeBlob, isKeyUuid, IV_LENGTH, keyIdFromBytes, type ParsedBlob } from './ciphertext.ts';
import { invalidCiphertext, KmsError } from './errors.ts';
import type { KeyPolicy } from './policy.ts';
import type { EncryptionContext, KeySpec, KeyUsage } from './types.ts';

/** A key as everyone but the store sees it: metadata and policy, never material. Replaced, never mutated. */
export interface KeyRecord {
  readonly id: string;
  readonly arn: string;
  readonly creationMs: number;
  readonly description: string;
  readonly enabled: boolean;
  readonly policyText: string;
  readonly policy: KeyPolicy;
  readonly keyUsage: KeyUsage;
  readonly keySpec: KeySpec;
  /** When ScheduleKeyDeletion's waiting period ends (ms since 1970); null unless the key is pending deletion. */
  readonly deletionMs: number | null;
}

/** A key with its material, for the served KMS's state file only (state.ts); nothing else exports material. */
export interface KeyEntry {
  readonly record: KeyRecord;
  readonly material: Uint8Array;
  /** KEY_AGREEMENT keys: the uncompressed P-384 point. */
  readonly publicPoint: Uint8Array | undefined;
}

export interface KeyStoreOptions {
  readonly region: string;
  readonly accountId: string;
  readonly keysMax: number;
  readonly aliasesMax: number;
  readonly idRandom: RandomSource;
  readonly materialRandom: RandomSource;
  readonly ivRandom: RandomSource;
}

const KEY_MATERIAL_LENGTH = 32;
const MATERIAL_DIGEST_LABEL = utf8('nitro-emu/kms/material-digest/v1\u0000');

/**
 * Keys, aliases and key material. Material lives only in `#material` and only `seal`/`open` touch it, so no path
 * out of this class carries it: callers get ciphertext blobs, plaintexts they supplied, or a digest.
 */
export class KeyStore {
  readonly region: string;
  readonly accountId: string;
  readonly #options: KeyStoreOptions;
  readonly #keys = new Map<string, KeyRecord>();
  readonly #material = new Map<string, Uint8Array>();
  /** KEY_AGREEMENT keys: the P-384 private scalar stays here with the AES material; only the point goes out. */
  readonly #publicPoints = new Map<string, Uint8Array>();
  readonly #aliases = new Map<string, string>();
  /** Bumped by every change, so a served KMS knows when to persist. */
  #version = 0;
  /** Keys with a deletion date: while none is, the per-request purge need not scan every key. */
  #pendingDeletions = 0;

  constructor(options: KeyStoreOptions) {
    this.#options = options;
    this.region = options.region;
    this.accountId = options.accountId;
  }

  keyArn(id: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:key/${id}`;
  }

  aliasArn(aliasName: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:${aliasName}`;
  }

  get size(): number {
    return this.#keys.size;
  }

  get version(): number {
    return this.#version;
  }

  get pendingDeletionCount(): number {
    return this.#pendingDeletions;
  }

  /** A fresh UUID v4 from the id stream (distinct from the material stream, so ids say nothing about keys). */
  newKeyId(): string {
    if (this.#keys.size >= this.#options.keysMax) {
      throw new KmsError('KMS_LIMIT_EXCEEDED', 'LimitExceededException', `The account already has ${this.#options.keysMax} keys.`);
    }
    for (let attempt = 0; attempt < 8; attempt++) {
      const bytes = this.#options.idRandom.bytes(16);
      bytes[6] = (bytes[6]! & 0x0f) | 0x40;
      bytes[8] = (bytes[8]! & 0x3f) | 0x80;
      const id = keyIdFromBytes(bytes);
      if (!this.#keys.has(id)) return id;
    }
    assert(false, 'eight UUID collisions in a row: the id stream is broken');
  }

  create(
    id: string,
    fields: Pick<KeyRecord, 'creationMs' | 'description' | 'policyText' | 'policy'> & Partial<Pick<KeyRecord, 'keyUsage' | 'keySpec'>>,
  ): KeyRecord {
    assert(isKeyUuid(id) && !this.#keys.has(id), 'create needs a fresh key id from newKeyId');
    const keySpec = fields.keySpec ?? 'SYMMETRIC_DEFAULT';
    const keyUsage = fields.keyUsage ?? 'ENCRYPT_DECRYPT';
    assert((keySpec === 'ECC_NIST_P384') === (keyUsage === 'KEY_AGREEMENT'), 'key spec and usage are checked before create');
    const record: KeyRecord = Object.freeze({ id, arn: this.keyArn(id), enabled: true, deletionMs: null, ...fields, keySpec, keyUsage });
    if (keySpec === 'ECC_NIST_P384') {
      const pair = p384KeyPair(this.#options.materialRandom);
      this.#material.set(id, pair.privateKey);
      this.#publicPoints.set(id, pair.publicKey);
    } else {
      this.#material.set(id, this.#options.materialRandom.bytes(KEY_MATERIAL_LENGTH));
    }
    this.#keys.set(id, record);
    this.#version++;
    return record;
  }

  /** DER SubjectPublicKeyInfo of a KEY_AGREEMENT key. */
  publicKey(id: string): Uint8Array {
    const point = this.#publicPoints.get(id);
    assert(point !== undefined, `${id} is not an asymmetric key`);
    return p384Spki(point);
  }

  /** ECDH with the key's private scalar; a point not on the curve is a ValidationException. */
  deriveSharedSecret(id: string, peerPoint: Uint8Array): Uint8Array {
    const point = this.#publicPoints.get(id);
    const scalar = this.#material.get(id);
    assert(point !== undefined && scalar !== undefined, `${id} is not an asymmetric key`);
    try {
      return p384SharedSecret(scalar, peerPoint);
    } catch (error) {
      if (!isEmuError(error)) throw error;
      throw new KmsError('KMS_VALIDATION', 'ValidationException', 'The public key is not a valid point on the key spec curve.', {
        cause: error.code,
      });
    }
  }

  get(id: string): KeyRecord | undefined {
    return this.#keys.get(id);
  }

  /** Key id, key ARN, alias name or alias ARN → the key; NotFoundException otherwise. */
  resolve(keyId: string): KeyRecord {
    const arnPrefix = `arn:aws:kms:${this.region}:${this.accountId}:`;
    let id: string | undefined;
    if (keyId.startsWith('alias/')) id = this.#aliases.get(keyId);
    else if (keyId.startsWith(`${arnPrefix}alias/`)) id = this.#aliases.get(keyId.slice(arnPrefix.length));
    else if (keyId.startsWith(`${arnPrefix}key/`)) id = keyId.slice(arnPrefix.length + 4);
    else id = keyId;
    const record = id === undefined ? undefined : this.#keys.get(id);
    if (record !== undefined) return record;
    if (keyId.includes('alias/')) {
      const name = keyId.startsWith('alias/') ? this.aliasArn(keyId) : keyId;
      throw new KmsError('KMS_NOT_FOUND', 'NotFoundException', `Alias ${name.slice(0, 512)} is not found.`);
    }
    const shown = isKeyUuid(keyId) ? this.keyArn(keyId) : keyId.slice(0, 512);
    throw new KmsError('KMS_NOT_FOUND', 'NotFoundException', `Key '${shown}' does not exist`);
  }

  list(): readonly KeyRecord[] {
    return [...this.#keys.values()];
  }

  setPolicy(id: string, policyText: string, policy: KeyPolicy): void {
    this.#replace(id, { policyText, policy });
  }

  setEnabled(id: string, enabled: boolean): void {
    this.#replace(id, { enabled });
  }

  /** Pending deletion disables the key; cancelling leaves it disabled, as in real KMS. */
  setDeletion(id: string, deletionMs: number | null): void {
    const wasPending = this.#keys.get(id)?.deletionMs != null;
    this.#replace(id, { deletionMs, enabled: false });
    this.#pendingDeletions += Number(deletionMs !== null) - Number(wasPending);
  }

  #replace(id: string, change: Partial<KeyRecord>): void {
    const record = this.#keys.get(id);
    assert(record !== undefined, `no key ${id}`);
    this.#keys.set(id, Object.freeze({ ...record, ...change }));
    this.#version++;
  }

  /** Deletes a key whose waiting period is over: record, material and every alias that named it. */
  purge(id: string): void {
    const record = this.#keys.get(id);
    assert(record !== undefined && record.deletionMs !== null, `purge needs a key pending deletion, got ${id}`);
    this.#material.get(id)?.fill(0);
    this.#keys.delete(id);
    this.#material.delete(id);
    this.#publicPoints.delete(id);
    this.#pendingDeletions--;
    for (const [name, keyId] of [...this.#aliases]) if (keyId === id) this.#aliases.delete(name);
    this.#version++;
  }

  /** Every key with its material (copies), for the state file. */
  exportEntries(): readonly KeyEntry[] {
    return [...this.#keys.values()].map((record) => ({
      record,
      material: Uint8Array.from(this.#material.get(record.id)!),
      publicPoint: this.#publicPoints.has(record.id) ? Uint8Array.from(this.#publicPoints.get(record.id)!) : undefined,
    }));
  }

  /** Puts back a key read from a state file; state.ts has validated every field. */
  restore(entry: KeyEntry): void {
    const { record } = entry;
    assert(isKeyUuid(record.id) && !this.#keys.has(record.id) && this.#keys.size < this.#options.keysMax, 'restore needs a fresh id under the bound');
    assert((record.keySpec === 'ECC_NIST_P384') === (entry.publicPoint !== undefined), 'asymmetric keys carry their point');
    this.#keys.set(record.id, Object.freeze({ ...record, arn: this.keyArn(record.id) }));
    this.#material.set(record.id, Uint8Array.from(entry.material));
    if (entry.publicPoint !== undefined) this.#publicPoints.set(record.id, Uint8Array.from(entry.publicPoint));
    if (record.deletionMs !== null) this.#pendingDeletions++;
    this.#version++;
  }

  hasAlias(aliasName: string): boolean {
    return this.#aliases.has(aliasName);
  }

  addAlias(aliasName: string, keyId: string): void {
    assert(!this.#aliases.has(aliasName) && this.#keys.has(keyId), 'alias checks happen before addAlias');
    if (this.#aliases.size >= this.#options.aliasesMax) {
      throw new KmsError('KMS_LIMIT_EXCEEDED', 'LimitExceededException', `The account already has ${this.#options.aliasesMax} aliases.`);
    }
    this.#aliases.set(aliasName, keyId);
    this.#version++;
  }

  /** [alias name, key id], sorted by name. */
  aliases(): readonly (readonly [string, string])[] {
    return [...this.#aliases.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Encrypts under the key's material into a CiphertextBlob bound to the key id and the context. */
  seal(id: string, plaintext: Uint8Array, context: EncryptionContext): Uint8Array {
    const material = this.#material.get(id);
    assert(material !== undefined && !this.#publicPoints.has(id), `no symmetric material for ${id}`);
    const header = blobHeader(id);
    const iv = this.#options.ivRandom.bytes(IV_LENGTH);
    return encodeBlob(header, iv, aes256GcmSeal(material, iv, plaintext, blobAad(header, context)));
  }

  /** The tag is checked before anything is returned; every failure is the same InvalidCiphertextException. */
  open(blob: ParsedBlob, context: EncryptionContext): Uint8Array {
    const material = this.#material.get(blob.keyId);
    if (material === undefined || this.#publicPoints.has(blob.keyId)) throw invalidCiphertext();
    try {
      return aes256GcmOpen(material, blob.iv, blob.sealed, blobAad(blob.header, context));
    } catch {
      throw invalidCiphertext();
    }
  }

  /** Hash of ids, metadata, policies, aliases and a digest of each key's material (never the material). */
  digest(): string {
    const keys = [...this.#keys.values()]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((k) => ({
        id: k.id,
        enabled: k.enabled,
        description: k.description,
        policy: k.policyText,
        usage: k.keyUsage,
        deletionMs: k.deletionMs ?? undefined,
        material: sha256Hex(concatBytes(MATERIAL_DIGEST_LABEL, this.#material.get(k.id)!)),
      }));
    return sha256Hex(utf8(canonicalJson({ keys, aliases: this.aliases().map(([n, id]) => [n, id]) })));
  }
}
