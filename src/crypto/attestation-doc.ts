import type { CoseSign1 } from './cose.ts';
import type { ParsedCertificate } from './x509.ts';

/** The payload of a Nitro attestation document (research/nitro-attestation-kms.md §1.2). */
export interface AttestationDocument {
  readonly moduleId: string;
  readonly digest: 'SHA384';
  /** ms since the Unix epoch, UTC; encoded as a CBOR uint. */
  readonly timestamp: number;
  /** index → 48-byte value, ascending. */
  readonly pcrs: ReadonlyMap<number, Uint8Array>;
  readonly certificate: Uint8Array;
  /** Root first. */
  readonly cabundle: readonly Uint8Array[];
  readonly publicKey: Uint8Array | null;
  readonly userData: Uint8Array | null;
  readonly nonce: Uint8Array | null;
}

/** Payload CBOR exactly as NSM emits: 9 keys in order, nulls for absent fields; indefinite-length map by default (2025+). */
export function encodeAttestationPayload(doc: AttestationDocument, form?: 'indefinite' | 'definite'): Uint8Array {
  throw new Error('TODO');
}

/** The complete COSE_Sign1 document, signed by the leaf key. */
export function signAttestationDocument(
  doc: AttestationDocument,
  leafPrivateKey: Uint8Array,
  form?: 'indefinite' | 'definite',
): Uint8Array {
  throw new Error('TODO');
}

/**
 * Strict syntactic parse (both map forms) with the field rules of §1.2: error codes ATT_MALFORMED,
 * ATT_MISSING_FIELD, ATT_BAD_FIELD (wrong type, float timestamp, bad PCR index/length, sizes), ATT_TOO_LARGE, plus
 * COSE_* and CBOR_* from below.
 */
export function parseAttestationDocument(bytes: Uint8Array): { readonly cose: CoseSign1; readonly doc: AttestationDocument } {
  throw new Error('TODO');
}

export interface VerifiedAttestation {
  readonly doc: AttestationDocument;
  /** PCR0, PCR1, PCR2 and PCR8 all zero: cryptographically valid, but no policy naming an image can match it. */
  readonly debugMode: boolean;
  readonly leaf: ParsedCertificate;
}

/**
 * Verifies against a pinned root (never cabundle[0]): parse, chain (leaf, cabundle[N-1..1]) to the pinned root at
 * `atMs`, COSE signature by the leaf key, and if `maxAgeMs` is given, `atMs - timestamp ≤ maxAgeMs` and not in the
 * future (ATT_STALE, ATT_FROM_FUTURE). Verified intermediates are cached by DER hash; the leaf and the COSE
 * signature are checked afresh every time. Errors: ATT_BAD_SIGNATURE, ATT_ROOT_MISMATCH, CHAIN_*, and the parse codes.
 */
export class AttestationVerifier {
  readonly root: ParsedCertificate;

  constructor(rootDer: Uint8Array) {
    throw new Error('TODO');
  }

  verify(bytes: Uint8Array, options: { readonly atMs: number; readonly maxAgeMs?: number }): VerifiedAttestation {
    throw new Error('TODO');
  }
}
