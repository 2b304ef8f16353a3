import {
  AttestationVerifier,
  isZeroPcr,
  parseAttestationDocument,
  rsaPublicKeyBits,
  sha256Hex,
  toHex,
  type RevocationSource,
  type VerifiedAttestation,
} from '../crypto/index.ts';
import { isEmuError } from '../errors.ts';
import { IMAGE_SHA384_KEY, pcrConditionKey } from './condition-keys.ts';
import { KmsError } from './errors.ts';
import { NonceCache } from './nonce-cache.ts';
import type { KmsDefences, RecipientInfo } from './types.ts';

/** What a verified Recipient contributes to a request: the key to encrypt to and the condition keys. */
export interface AttestedRecipient {
  /** RSA-2048 DER SubjectPublicKeyInfo from the document's `public_key`. */
  readonly publicKey: Uint8Array;
  readonly publicKeySha256: string;
  /** Lowercase hex of PCR0 ('' if the document has no PCR0). */
  readonly pcr0: string;
  readonly debugMode: boolean;
  readonly moduleId: string;
  /** `kms:RecipientAttestation:ImageSha384` and `…:PCR<n>` for every PCR in the document. */
  readonly conditionKeys: ReadonlyMap<string, string>;
  readonly nonceHex: string | undefined;
  readonly nonceExpiresMs: number;
  /** The document's own timestamp (ms since epoch), kept on the release record for INV-FRESH checkers. */
  readonly documentTimeMs: number;
}

export interface RecipientGateOptions {
  readonly rootDer: Uint8Array;
  readonly maxDocumentAgeMs: number;
  readonly futureSkewMs: number;
  readonly noncesMax: number;
  readonly defences: KmsDefences;
  readonly revocation?: RevocationSource;
}

/** Verifiers for roots taken from documents (only with kmsPinnedRoot off); bounded like every cache here. */
const BUNDLE_ROOT_VERIFIERS_MAX = 64;

/**
 * Verifies `Recipient.AttestationDocument` against the emulated root KMS pins, at KMS's own "now". Verification
 * comes before any policy evaluation: a condition on PCRs means nothing until the PCRs are known to be signed.
 */
export class RecipientGate {
  readonly maxDocumentAgeMs: number;
  readonly #verifier: AttestationVerifier;
  readonly #nonces: NonceCache;
  readonly #futureSkewMs: number;
  readonly #defences: KmsDefences;
  readonly #revocation: RevocationSource | undefined;
  readonly #bundleRootVerifiers = new Map<string, AttestationVerifier>();

  constructor(options: RecipientGateOptions) {
    this.#verifier = new AttestationVerifier(options.rootDer);
    this.#defences = options.defences;
    this.#revocation = options.revocation;
    this.#nonces = new NonceCache(options.noncesMax);
    this.maxDocumentAgeMs = options.maxDocumentAgeMs;
    this.#futureSkewMs = options.futureSkewMs;
  }

  get rememberedNonces(): number {
    return this.#nonces.size;
  }

  /** The spent-nonce cache itself (state.ts persists it so a restart does not reopen a replay window). */
  get nonces(): NonceCache {
    return this.#nonces;
  }

  verify(recipient: RecipientInfo, nowMs: number): AttestedRecipient {
    const verified = this.#verifyDocument(recipient.AttestationDocument, nowMs);
    const { doc } = verified;
    const ageMs = nowMs - doc.timestamp;
    if (ageMs > this.maxDocumentAgeMs && this.#defences.kmsDocumentFreshness) {
      throw new KmsError('KMS_ATTESTATION_STALE', 'AccessDeniedException', 'The attestation document is too old.', {
        ageMs,
        maxDocumentAgeMs: this.maxDocumentAgeMs,
      });
    }
    if (-ageMs > this.#futureSkewMs) {
      throw new KmsError('KMS_ATTESTATION_FROM_FUTURE', 'AccessDeniedException', 'The attestation document is dated in the future.', {
        aheadMs: -ageMs,
      });
    }
    const nonceHex = doc.nonce === null ? undefined : toHex(doc.nonce);
    if (nonceHex !== undefined && this.#defences.kmsNonceSingleUse) this.#nonces.check(nonceHex, nowMs);
    // Only a KMS that encrypts to the recipient needs an RSA-2048 key; with kmsRecipientEncryption off (the
    // LocalStack-style control) the key is never used, so whatever the document carries is accepted (PA-03).
    const publicKey = this.#defences.kmsRecipientEncryption ? rsa2048PublicKey(doc.publicKey) : (doc.publicKey ?? new Uint8Array(0));
    const conditionKeys = new Map<string, string>();
    for (const [index, value] of doc.pcrs) conditionKeys.set(pcrConditionKey(index), toHex(value));
    const pcr0 = doc.pcrs.get(0);
    if (pcr0 !== undefined) conditionKeys.set(IMAGE_SHA384_KEY, toHex(pcr0));
    return {
      publicKey,
      publicKeySha256: sha256Hex(publicKey),
      pcr0: pcr0 === undefined ? '' : toHex(pcr0),
      debugMode: verified.debugMode || (pcr0 !== undefined && isZeroPcr(pcr0)),
      moduleId: doc.moduleId,
      conditionKeys,
      nonceHex,
      // With freshness off a stale document is accepted, so its nonce must be remembered from now on, not from then.
      nonceExpiresMs: this.#defences.kmsDocumentFreshness ? doc.timestamp + this.maxDocumentAgeMs : Math.max(doc.timestamp, nowMs) + this.maxDocumentAgeMs,
      documentTimeMs: doc.timestamp,
    };
  }

  /** After the request succeeded: the nonce is spent. */
  commit(attested: AttestedRecipient, nowMs: number): void {
    if (attested.nonceHex !== undefined && this.#defences.kmsNonceSingleUse) this.#nonces.remember(attested.nonceHex, attested.nonceExpiresMs, nowMs);
  }

  #bundleRootVerifier(bytes: Uint8Array): AttestationVerifier {
    return bundleRootVerifierFor(this.#bundleRootVerifiers, bytes);
  }

  #verifyDocument(bytes: Uint8Array, nowMs: number): VerifiedAttestation {
    const revocation = this.#defences.revocationChecked ? this.#revocation : undefined;
    try {
      const verifier = this.#defences.kmsPinnedRoot ? this.#verifier : this.#bundleRootVerifier(bytes);
      return verifier.verify(bytes, {
        atMs: nowMs,
        ...(revocation === undefined ? {} : { isRevoked: (cert) => revocation.isRevoked(cert) }),
      });
    } catch (error) {
      // Typed verification failures are refusals; anything else is our bug and must surface as such.
      if (!isEmuError(error)) throw error;
      throw new KmsError(
        'KMS_ATTESTATION_INVALID',
        'AccessDeniedException',
        'The attestation document in the Recipient parameter is not valid.',
        { cause: error.code },
      );
    }
  }
}

/**
 * The negative control of `kmsPinnedRoot`: whatever root the document carries in cabundle[0] is trusted, so a
 * forger's own CA passes (the chain and signature are still checked against that root).
 */
function bundleRootVerifierFor(cache: Map<string, AttestationVerifier>, bytes: Uint8Array): AttestationVerifier {
  const rootDer = parseAttestationDocument(bytes).doc.cabundle[0]!;
  const key = sha256Hex(rootDer);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const verifier = new AttestationVerifier(rootDer);
  if (cache.size >= BUNDLE_ROOT_VERIFIERS_MAX) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, verifier);
  return verifier;
}

function rsa2048PublicKey(spki: Uint8Array | null): Uint8Array {
  let bits: number | undefined;
  let cause: string | undefined;
  try {
    bits = spki === null ? undefined : rsaPublicKeyBits(spki);
  } catch (error) {
    if (!isEmuError(error)) throw error;
    cause = error.code;
  }
  if (spki === null || bits !== 2048) {
    throw new KmsError(
      'KMS_RECIPIENT_KEY_UNSUPPORTED',
      'ValidationException',
      'The public key in the attestation document must be an RSA-2048 SubjectPublicKeyInfo.',
      { bits: bits ?? null, ...(cause === undefined ? {} : { cause }) },
    );
  }
  return spki;
}
