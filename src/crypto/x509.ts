export interface KeyUsageBits {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
}

export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** SHA-256 of the DER, lowercase hex (the fingerprint people compare). */
  readonly fingerprintSha256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serialHex: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly isCa: boolean;
  readonly pathLength: number | undefined;
  readonly keyUsage: KeyUsageBits | undefined;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** Uncompressed SEC1 point when the key is EC P-384, else undefined. */
  readonly p384PublicKey: Uint8Array | undefined;
  readonly signatureAlgorithmOid: string;
  readonly tbs: Uint8Array;
  /** Signature converted to raw r‖s for ECDSA. */
  readonly signature: Uint8Array;
  readonly selfSigned: boolean;
}

/** Errors: X509_MALFORMED, X509_UNSUPPORTED_KEY. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  throw new Error('TODO');
}

/** All PEM blocks with the given label, in file order. Error PEM_MALFORMED. */
export function pemToDer(pem: string, label?: string): Uint8Array[] {
  throw new Error('TODO');
}

export function derToPem(der: Uint8Array, label?: string): string {
  throw new Error('TODO');
}

/**
 * Validates a chain given leaf first and ending just below the pinned root: each signature by its issuer
 * (ecdsa-with-SHA384, P-384), validity of every certificate (root included) at `atMs`, basicConstraints and
 * pathLen, keyUsage (CAs need keyCertSign; the leaf needs digitalSignature and must not be a CA).
 * Errors: CHAIN_BAD_SIGNATURE, CHAIN_EXPIRED, CHAIN_NOT_YET_VALID, CHAIN_NOT_CA, CHAIN_PATHLEN, CHAIN_KEY_USAGE,
 * CHAIN_ISSUER_MISMATCH, CHAIN_UNTRUSTED_ROOT.
 */
export function verifyCertificateChain(
  leafFirst: readonly ParsedCertificate[],
  root: ParsedCertificate,
  atMs: number,
  options?: { readonly cache?: Map<string, true> },
): void {
  throw new Error('TODO');
}
