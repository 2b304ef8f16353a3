import { EmuError, assert } from '../errors.ts';
import { equalBytes } from './bytes.ts';
import { p384Verify } from './ecdsa.ts';
import { OID_ECDSA_WITH_SHA384, type ParsedCertificate, certificateDetails } from './x509-parse.ts';

/** Real Nitro chains have 4 certificates below the root; this bounds the work on hostile input. */
export const CHAIN_LENGTH_MAX = 16;
/** Verified links remembered per cache; the oldest is forgotten first. */
export const CHAIN_CACHE_ENTRIES_MAX = 4096;

function chainError(code: string, message: string, cert: ParsedCertificate): never {
  throw new EmuError(code, `${message}: ${cert.subject}`, { subject: cert.subject, fingerprintSha256: cert.fingerprintSha256 });
}

function checkValidity(cert: ParsedCertificate, atMs: number): void {
  // RFC 5280 §4.1.2.5: both bounds are inclusive.
  if (atMs < cert.notBeforeMs) {
    chainError('CHAIN_NOT_YET_VALID', `not valid before ${new Date(cert.notBeforeMs).toISOString()}`, cert);
  }
  if (atMs > cert.notAfterMs) chainError('CHAIN_EXPIRED', `expired at ${new Date(cert.notAfterMs).toISOString()}`, cert);
}

function checkIssuerProfile(cert: ParsedCertificate, caCertsBelow: number): void {
  if (!cert.isCa) chainError('CHAIN_NOT_CA', 'issuer is not a CA (basicConstraints cA)', cert);
  if (cert.keyUsage === undefined || !cert.keyUsage.keyCertSign) {
    chainError('CHAIN_KEY_USAGE', 'issuer lacks the keyCertSign key usage', cert);
  }
  if (cert.pathLength !== undefined && caCertsBelow > cert.pathLength) {
    chainError('CHAIN_PATHLEN', `pathLenConstraint ${cert.pathLength} allows fewer than the ${caCertsBelow} CAs below`, cert);
  }
}

function checkLeafProfile(cert: ParsedCertificate): void {
  if (cert.isCa) chainError('CHAIN_KEY_USAGE', 'the end-entity certificate must not be a CA', cert);
  if (cert.pathLength !== undefined) chainError('CHAIN_PATHLEN', 'the end-entity certificate carries a pathLenConstraint', cert);
  if (cert.keyUsage === undefined || !cert.keyUsage.digitalSignature) {
    chainError('CHAIN_KEY_USAGE', 'the end-entity certificate lacks the digitalSignature key usage', cert);
  }
}

function remember(cache: Map<string, true>, key: string): void {
  if (cache.size >= CHAIN_CACHE_ENTRIES_MAX) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, true);
}

/**
 * Validates a chain given leaf first and ending just below the pinned root: each signature by its issuer
 * (ecdsa-with-SHA384, P-384), validity of every certificate (root included) at `atMs`, basicConstraints and
 * pathLen, keyUsage (CAs need keyCertSign; the leaf needs digitalSignature and must not be a CA).
 * Errors: CHAIN_BAD_SIGNATURE, CHAIN_EXPIRED, CHAIN_NOT_YET_VALID, CHAIN_NOT_CA, CHAIN_PATHLEN, CHAIN_KEY_USAGE,
 * CHAIN_ISSUER_MISMATCH, CHAIN_UNTRUSTED_ROOT, CHAIN_UNKNOWN_CRITICAL_EXTENSION.
 *
 * The last element may also be the pinned root itself (same DER); it is then treated as the anchor. With `cache`,
 * links above the leaf that verified once (key: child SHA-256 + issuer SHA-256) skip their signature check; the
 * leaf's signature and every certificate's validity are always checked.
 */
export function verifyCertificateChain(
  leafFirst: readonly ParsedCertificate[],
  root: ParsedCertificate,
  atMs: number,
  options?: { readonly cache?: Map<string, true> },
): void {
  assert(Number.isFinite(atMs), `atMs must be a finite number, got ${atMs}`);
  assert(leafFirst.length > 0, 'a chain needs at least the leaf');
  let chain = leafFirst;
  const last = chain[chain.length - 1]!;
  if (chain.length > 1 && equalBytes(last.der, root.der)) chain = chain.slice(0, -1);
  if (chain.length > CHAIN_LENGTH_MAX) {
    throw new EmuError('CHAIN_PATHLEN', `chain of ${chain.length} certificates is longer than ${CHAIN_LENGTH_MAX}`);
  }
  const path = [...chain, root];

  // Everything that costs no signature first, so junk is refused cheaply.
  for (const cert of path) {
    checkValidity(cert, atMs);
    const unknown = certificateDetails(cert).unknownCriticalExtensions;
    if (unknown.length > 0) chainError('CHAIN_UNKNOWN_CRITICAL_EXTENSION', `unknown critical extension ${unknown.join(', ')}`, cert);
  }
  checkLeafProfile(path[0]!);
  for (let i = 1; i < path.length; i++) checkIssuerProfile(path[i]!, i - 1);
  for (let i = 0; i < chain.length; i++) {
    const child = path[i]!;
    const issuer = path[i + 1]!;
    if (!equalBytes(certificateDetails(child).issuerDer, certificateDetails(issuer).subjectDer)) {
      if (issuer === root) chainError('CHAIN_UNTRUSTED_ROOT', `issued by "${child.issuer}", not by the pinned root`, child);
      chainError('CHAIN_ISSUER_MISMATCH', `issuer "${child.issuer}" is not the next certificate's subject`, child);
    }
  }

  if (root.p384PublicKey === undefined) chainError('CHAIN_UNTRUSTED_ROOT', 'the pinned root has no P-384 key', root);
  const cache = options?.cache;
  for (let i = chain.length - 1; i >= 0; i--) {
    const child = path[i]!;
    const issuer = path[i + 1]!;
    const cacheKey = `${child.fingerprintSha256}:${issuer.fingerprintSha256}`;
    if (i > 0 && cache?.has(cacheKey) === true) continue;
    if (child.signatureAlgorithmOid !== OID_ECDSA_WITH_SHA384) {
      chainError('CHAIN_BAD_SIGNATURE', `signature algorithm ${child.signatureAlgorithmOid} is not ecdsa-with-SHA384`, child);
    }
    if (issuer.p384PublicKey === undefined) chainError('CHAIN_BAD_SIGNATURE', 'issuer key is not P-384', issuer);
    if (!p384Verify(child.signature, child.tbs, issuer.p384PublicKey)) {
      if (issuer === root) chainError('CHAIN_UNTRUSTED_ROOT', 'not signed by the pinned root key', child);
      chainError('CHAIN_BAD_SIGNATURE', 'signature does not verify with the issuer key', child);
    }
    if (i > 0 && cache !== undefined) remember(cache, cacheKey);
  }
}
