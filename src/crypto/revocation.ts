import { EmuError, assert } from '../errors.ts';
import type { ParsedCertificate } from './x509-parse.ts';

/**
 * Certificate revocation for the emulated Nitro PKI.
 *
 * Design choice: the revocation list is an in-process set that the platform (the Nitro controller) publishes and
 * verifiers are handed as a `RevocationSource`, not a signed CRL fetched from the CRL distribution point. Real AWS
 * publishes CRLs at the URLs in the chain, but verifiers (KMS included, as far as anyone can observe) rarely fetch
 * them; what matters for the attacks we model (RB-05, a compromised platform key) is whether a verifier consults
 * revocation at all, and the switch `revocationChecked` turns exactly that off. The list's integrity is the
 * platform's and the verifier's shared trust domain, as it would be inside AWS.
 *
 * A certificate is named by its SHA-256 fingerprint (exact DER) or by issuer + serial (RFC 5280's identity: the
 * same serial from another issuer is another certificate).
 */
export interface RevocationSource {
  isRevoked(cert: Pick<ParsedCertificate, 'fingerprintSha256' | 'issuer' | 'serialHex'>): boolean;
}

export interface RevocationEntry {
  readonly fingerprintSha256?: string;
  readonly issuer?: string;
  readonly serialHex?: string;
  readonly reason: string;
  readonly revokedAtMs: number;
}

export const REVOCATION_ENTRIES_MAX = 100_000;

function serialKey(issuer: string, serialHex: string): string {
  return `${issuer}\u0000${serialHex.toLowerCase()}`;
}

/** The published set of revoked certificates: append-only (a revocation is never undone). */
export class RevocationList implements RevocationSource {
  readonly #byFingerprint = new Set<string>();
  readonly #bySerial = new Set<string>();
  readonly #entries: RevocationEntry[] = [];

  get size(): number {
    return this.#entries.length;
  }

  /** Oldest first; entries are frozen copies. */
  entries(): readonly RevocationEntry[] {
    return [...this.#entries];
  }

  revokeFingerprint(fingerprintSha256: string, reason: string, atMs: number): void {
    if (!/^[0-9a-f]{64}$/.test(fingerprintSha256)) {
      throw new EmuError('REVOCATION_BAD_FINGERPRINT', 'a fingerprint is 64 lowercase hex digits (SHA-256 of the DER)', {
        fingerprintSha256: String(fingerprintSha256).slice(0, 80),
      });
    }
    if (this.#byFingerprint.has(fingerprintSha256)) return;
    this.#append({ fingerprintSha256, reason, revokedAtMs: atMs });
    this.#byFingerprint.add(fingerprintSha256);
  }

  revokeSerial(issuer: string, serialHex: string, reason: string, atMs: number): void {
    if (issuer.length === 0 || !/^[0-9a-fA-F]{1,64}$/.test(serialHex)) {
      throw new EmuError('REVOCATION_BAD_SERIAL', 'a serial is named by a non-empty issuer and 1..64 hex digits', {
        serialHex: String(serialHex).slice(0, 80),
      });
    }
    const key = serialKey(issuer, serialHex);
    if (this.#bySerial.has(key)) return;
    this.#append({ issuer, serialHex: serialHex.toLowerCase(), reason, revokedAtMs: atMs });
    this.#bySerial.add(key);
  }

  isRevoked(cert: Pick<ParsedCertificate, 'fingerprintSha256' | 'issuer' | 'serialHex'>): boolean {
    return this.#byFingerprint.has(cert.fingerprintSha256) || this.#bySerial.has(serialKey(cert.issuer, cert.serialHex));
  }

  #append(entry: RevocationEntry): void {
    if (this.#entries.length >= REVOCATION_ENTRIES_MAX) {
      throw new EmuError('REVOCATION_LIST_FULL', `the revocation list holds ${REVOCATION_ENTRIES_MAX} entries`);
    }
    assert(entry.reason.length <= 1024, 'revocation reason too long');
    this.#entries.push(Object.freeze(entry));
  }
}

/** CHAIN_REVOKED for the first certificate of the chain (leaf first) the source names. */
export function checkNotRevoked(chain: readonly ParsedCertificate[], source: RevocationSource): void {
  for (const cert of chain) {
    if (source.isRevoked(cert)) {
      throw new EmuError('CHAIN_REVOKED', `certificate revoked: ${cert.subject}`, {
        subject: cert.subject,
        serialHex: cert.serialHex,
        fingerprintSha256: cert.fingerprintSha256,
      });
    }
  }
}
