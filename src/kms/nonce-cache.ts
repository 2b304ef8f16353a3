import { assert } from '../errors.ts';
import { KmsError } from './errors.ts';

/**
 * Attestation nonces already used, each kept until its document would be refused as stale anyway; after that a
 * replay fails on age, so forgetting the nonce opens nothing. Bounded: when full of live nonces, new nonce-bearing
 * documents are throttled rather than evicting a live entry (evicting would re-open a replay window).
 */
export class NonceCache {
  readonly entriesMax: number;
  readonly #expiresMsByNonce = new Map<string, number>();
  /** Bumped by every change, so a served KMS knows when to persist. */
  #version = 0;

  constructor(entriesMax: number) {
    assert(Number.isSafeInteger(entriesMax) && entriesMax > 0, 'nonce cache needs a positive bound');
    this.entriesMax = entriesMax;
  }

  get size(): number {
    return this.#expiresMsByNonce.size;
  }

  get version(): number {
    return this.#version;
  }

  /** The nonces still spent at `nowMs`, with when each may be forgotten, for the state file. */
  live(nowMs: number): readonly (readonly [string, number])[] {
    return [...this.#expiresMsByNonce].filter(([, expiresMs]) => expiresMs >= nowMs);
  }

  /** Puts back spent nonces read from a state file (validated by state.ts), into an empty cache. */
  restore(entries: readonly (readonly [string, number])[]): void {
    assert(this.#expiresMsByNonce.size === 0 && entries.length <= this.entriesMax, 'restore needs an empty cache and fitting entries');
    for (const [nonce, expiresMs] of entries) this.#expiresMsByNonce.set(nonce, expiresMs);
    this.#version++;
  }

  /** Refuses a nonce seen before (KMS_REPLAYED) or one that would not fit; records nothing. */
  check(nonceHex: string, nowMs: number): void {
    const expiresMs = this.#expiresMsByNonce.get(nonceHex);
    if (expiresMs !== undefined && expiresMs >= nowMs) {
      throw new KmsError('KMS_REPLAYED', 'AccessDeniedException', 'The attestation document nonce was already used.');
    }
    if (this.#expiresMsByNonce.size >= this.entriesMax && this.#liveCount(nowMs) >= this.entriesMax) {
      throw new KmsError('KMS_NONCE_CACHE_FULL', 'ThrottlingException', 'Too many attested requests; retry later.');
    }
  }

  /** Called only once the request has succeeded, so a refused request never consumes its nonce. */
  remember(nonceHex: string, expiresMs: number, nowMs: number): void {
    if (this.#expiresMsByNonce.size >= this.entriesMax) this.#prune(nowMs);
    assert(this.#expiresMsByNonce.size < this.entriesMax || this.#expiresMsByNonce.has(nonceHex), 'check() precedes remember()');
    this.#expiresMsByNonce.set(nonceHex, expiresMs);
    this.#version++;
  }

  #liveCount(nowMs: number): number {
    let live = 0;
    for (const expiresMs of this.#expiresMsByNonce.values()) if (expiresMs >= nowMs) live++;
    return live;
  }

  #prune(nowMs: number): void {
    for (const [nonce, expiresMs] of this.#expiresMsByNonce) {
      if (expiresMs < nowMs) this.#expiresMsByNonce.delete(nonce);
    }
  }
}
