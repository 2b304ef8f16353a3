import { EmuError, assert } from '../errors.ts';
import {
  ATTESTATION_DOC_BYTES_MAX,
  type AttestationDocument,
  encodeAttestationPayload,
  parseAttestationDocument,
} from './attestation-payload.ts';
import { equalBytes } from './bytes.ts';
import { encodeCoseSign1Es384, verifyCoseSign1Es384 } from './cose.ts';
import { sha256Hex } from './hash.ts';
import { isZeroPcr } from './pcr.ts';
import { checkNotRevoked, type RevocationSource } from './revocation.ts';
import { type ParsedCertificate, parseCertificate, verifyCertificateChain } from './x509.ts';

export {
  type AttestationDocument,
  ATTESTATION_DOC_BYTES_MAX,
  encodeAttestationPayload,
  parseAttestationDocument,
} from './attestation-payload.ts';

/** Envelope bytes around a payload of 256..65535 bytes (every real one): array, protected, unprotected, heads, signature. */
const ENVELOPE_OVERHEAD_BYTES = 1 + 5 + 1 + 3 + 2 + 96;

/** The complete COSE_Sign1 document, signed by the leaf key. */
export function signAttestationDocument(
  doc: AttestationDocument,
  leafPrivateKey: Uint8Array,
  form?: 'indefinite' | 'definite',
): Uint8Array {
  const payload = encodeAttestationPayload(doc, form);
  // 84 44a1013822 a0 59LLLL <payload> 5860 <96 bytes>: known before signing, so an oversized request costs no signature.
  const documentLength = payload.length + ENVELOPE_OVERHEAD_BYTES;
  if (documentLength > ATTESTATION_DOC_BYTES_MAX) {
    throw new EmuError('ATT_TOO_LARGE', `attestation document would be ${documentLength} bytes, over ${ATTESTATION_DOC_BYTES_MAX}`);
  }
  const document = encodeCoseSign1Es384(payload, leafPrivateKey);
  assert(document.length <= ATTESTATION_DOC_BYTES_MAX, 'envelope overhead was underestimated');
  return document;
}

export interface VerifiedAttestation {
  readonly doc: AttestationDocument;
  /** PCR0, PCR1, PCR2 and PCR8 all zero: cryptographically valid, but no policy naming an image can match it. */
  readonly debugMode: boolean;
  readonly leaf: ParsedCertificate;
}

const DEBUG_ZERO_PCRS = [0, 1, 2, 8] as const;
/** Parsed certificates kept per verifier; parsing is pure, so reusing it skips work, never a check. */
const PARSED_CACHE_ENTRIES_MAX = 256;

/** The cached certificate stays ours: callers get byte arrays they may change (or wipe) without touching the cache. */
function detachedCopy(cert: ParsedCertificate): ParsedCertificate {
  return {
    ...cert,
    der: cert.der.slice(),
    spki: cert.spki.slice(),
    p384PublicKey: cert.p384PublicKey?.slice(),
    tbs: cert.tbs.slice(),
    signature: cert.signature.slice(),
  };
}

function isDebugMode(pcrs: ReadonlyMap<number, Uint8Array>): boolean {
  // A missing PCR measures nothing, so it counts as zero here: such a document cannot match an image policy either.
  return DEBUG_ZERO_PCRS.every((index) => {
    const value = pcrs.get(index);
    return value === undefined || isZeroPcr(value);
  });
}

/**
 * Verifies against a pinned root (never cabundle[0]): parse, chain (leaf, cabundle[N-1..1]) to the pinned root at
 * `atMs`, COSE signature by the leaf key, and if `maxAgeMs` is given, `atMs - timestamp ≤ maxAgeMs` and not in the
 * future (ATT_STALE, ATT_FROM_FUTURE). Verified intermediates are cached by DER hash; the leaf and the COSE
 * signature are checked afresh every time. Errors: ATT_BAD_SIGNATURE, ATT_ROOT_MISMATCH, CHAIN_*, and the parse codes.
 *
 * cabundle[0] must be the pinned root's exact DER (ATT_ROOT_MISMATCH otherwise): real documents always carry the
 * root there, and a document naming another root cannot chain to ours anyway.
 */
export class AttestationVerifier {
  readonly root: ParsedCertificate;
  readonly #chainCache = new Map<string, true>();
  readonly #parsed = new Map<string, ParsedCertificate>();

  constructor(rootDer: Uint8Array) {
    this.root = parseCertificate(rootDer);
    if (this.root.p384PublicKey === undefined) {
      throw new EmuError('X509_UNSUPPORTED_KEY', 'the pinned Nitro root must have a P-384 key', { subject: this.root.subject });
    }
  }

  #parse(der: Uint8Array): ParsedCertificate {
    const key = sha256Hex(der);
    const hit = this.#parsed.get(key);
    if (hit !== undefined) return hit;
    const cert = parseCertificate(der);
    if (this.#parsed.size >= PARSED_CACHE_ENTRIES_MAX) {
      const oldest = this.#parsed.keys().next();
      if (oldest.done !== true) this.#parsed.delete(oldest.value);
    }
    this.#parsed.set(key, cert);
    return cert;
  }

  /**
   * With `isRevoked`, every certificate of the chain (leaf, intermediates, root) is also looked up on every call,
   * cached links included (CHAIN_REVOKED): a revocation must take effect for the very next document.
   */
  verify(
    bytes: Uint8Array,
    options: { readonly atMs: number; readonly maxAgeMs?: number; readonly isRevoked?: RevocationSource['isRevoked'] },
  ): VerifiedAttestation {
    const { atMs, maxAgeMs, isRevoked } = options;
    assert(Number.isSafeInteger(atMs), `atMs must be an integer of ms, got ${atMs}`);
    assert(maxAgeMs === undefined || (Number.isSafeInteger(maxAgeMs) && maxAgeMs >= 0), `bad maxAgeMs ${maxAgeMs}`);
    const { cose, doc } = parseAttestationDocument(bytes);
    if (maxAgeMs !== undefined) {
      if (doc.timestamp > atMs) {
        throw new EmuError('ATT_FROM_FUTURE', `document timestamp ${doc.timestamp} is after ${atMs}`, { timestamp: doc.timestamp, atMs });
      }
      if (atMs - doc.timestamp > maxAgeMs) {
        throw new EmuError('ATT_STALE', `document is ${atMs - doc.timestamp} ms old, over ${maxAgeMs}`, { timestamp: doc.timestamp, atMs });
      }
    }
    if (!equalBytes(doc.cabundle[0]!, this.root.der)) {
      throw new EmuError('ATT_ROOT_MISMATCH', 'cabundle[0] is not the pinned root', { pinned: this.root.fingerprintSha256 });
    }
    const leaf = this.#parse(doc.certificate);
    const intermediates: ParsedCertificate[] = [];
    for (let i = doc.cabundle.length - 1; i >= 1; i--) intermediates.push(this.#parse(doc.cabundle[i]!));
    verifyCertificateChain([leaf, ...intermediates], this.root, atMs, { cache: this.#chainCache });
    if (isRevoked !== undefined) checkNotRevoked([leaf, ...intermediates, this.root], { isRevoked });
    if (leaf.p384PublicKey === undefined) {
      throw new EmuError('X509_UNSUPPORTED_KEY', 'the leaf certificate has no P-384 key', { subject: leaf.subject });
    }
    if (!verifyCoseSign1Es384(cose, leaf.p384PublicKey)) {
      throw new EmuError('ATT_BAD_SIGNATURE', 'the COSE_Sign1 signature does not verify with the leaf key', {
        leaf: leaf.subject,
      });
    }
    return { doc, debugMode: isDebugMode(doc.pcrs), leaf: detachedCopy(leaf) };
  }
}
