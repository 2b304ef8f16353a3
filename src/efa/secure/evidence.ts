import { EmuError, isEmuError } from '../../errors.ts';
import {
  type AttestationVerifier,
  concatBytes,
  equalBytes,
  p384Spki,
  sha384,
  utf8,
} from '../../crypto/index.ts';
import type { HostId } from '../contracts.ts';

// Evidence that binds a handshake's ephemeral P-384 key to an attested trusted component (CT-05, NET-06).
// Enclave: an NSM attestation document whose public_key is the ephemeral key (SPKI DER) and whose user_data
// binds job, rank and host, so a document cannot be replayed into another job or by another host.
// Device: an opaque token the caller's verifier turns into the attested key (e.g. an SPDM-endorsed device key).

export const EVIDENCE_ENCLAVE = 1;
export const EVIDENCE_DEVICE = 2;
export const EVIDENCE_BYTES_MAX = 16 * 1024;

export type LinkEvidence =
  | { readonly kind: 'enclave'; readonly document: Uint8Array }
  | { readonly kind: 'device'; readonly token: Uint8Array };

/** What the attesting side must put into its evidence. */
export interface EvidenceBinding {
  /** SubjectPublicKeyInfo DER of the ephemeral P-384 key (the attestation document's public_key). */
  readonly publicKeySpki: Uint8Array;
  /** SHA-384 over the identity claim (the attestation document's user_data). */
  readonly userData: Uint8Array;
}

export interface PeerClaim {
  readonly host: HostId;
  readonly rank: number;
  readonly jobId: string;
}

export interface EvidencePolicy {
  /** Pinned Nitro root; required to accept enclave evidence. */
  readonly verifier?: AttestationVerifier;
  /** PCR0 values (48 bytes) of the images allowed in this job. */
  readonly pcr0Allowlist?: readonly Uint8Array[];
  /** Verification time (ms since epoch) and how old a document may be. */
  readonly atMs: number;
  readonly maxAgeMs?: number;
  /** Device evidence: returns the attested 97-byte P-384 point for this claim, or throws. */
  readonly verifyDevice?: (token: Uint8Array, claim: PeerClaim) => Uint8Array;
}

const IDENTITY_LABEL = utf8('nitro-emu efa-link v1 identity');

export function identityUserData(claim: PeerClaim): Uint8Array {
  const job = utf8(claim.jobId);
  const fixed = new Uint8Array(10);
  const view = new DataView(fixed.buffer);
  view.setUint16(0, job.length);
  view.setUint32(2, claim.host >>> 0);
  view.setUint32(6, claim.rank >>> 0);
  return sha384(concatBytes(IDENTITY_LABEL, fixed, job));
}

export function evidenceBinding(ephemeralPublicKey: Uint8Array, claim: PeerClaim): EvidenceBinding {
  return { publicKeySpki: p384Spki(ephemeralPublicKey), userData: identityUserData(claim) };
}

function refuse(code: string, message: string, details?: Record<string, unknown>): never {
  throw new EmuError(code, message, details);
}

function verifyEnclave(document: Uint8Array, ephemeralPublicKey: Uint8Array, claim: PeerClaim, policy: EvidencePolicy): void {
  if (policy.verifier === undefined) refuse('LINK_HANDSHAKE_EVIDENCE_INVALID', 'no Nitro root pinned for enclave evidence');
  let verified;
  try {
    verified = policy.verifier.verify(document, {
      atMs: policy.atMs,
      ...(policy.maxAgeMs === undefined ? {} : { maxAgeMs: policy.maxAgeMs }),
    });
  } catch (error) {
    if (!isEmuError(error)) throw error;
    refuse('LINK_HANDSHAKE_EVIDENCE_INVALID', `attestation document refused: ${error.code}`, { cause: error.code });
  }
  // Debug mode first: its document verifies, but an all-zero PCR0 must never be mistaken for a policy miss.
  if (verified.debugMode) refuse('LINK_HANDSHAKE_DEBUG_PEER', 'the peer enclave runs in debug mode (PCRs all zero)', { host: claim.host });
  const pcr0 = verified.doc.pcrs.get(0);
  const allowed = policy.pcr0Allowlist ?? [];
  if (pcr0 === undefined || !allowed.some((value) => equalBytes(value, pcr0))) {
    refuse('LINK_HANDSHAKE_PCR_REFUSED', 'the peer enclave image (PCR0) is not in the allowlist', { host: claim.host });
  }
  const publicKey = verified.doc.publicKey;
  if (publicKey === null || !equalBytes(publicKey, p384Spki(ephemeralPublicKey))) {
    refuse('LINK_HANDSHAKE_KEY_MISMATCH', 'the attestation document does not carry the handshake key', { host: claim.host });
  }
  const userData = verified.doc.userData;
  if (userData === null || !equalBytes(userData, identityUserData(claim))) {
    refuse('LINK_HANDSHAKE_BINDING_MISMATCH', 'the attestation document is bound to another job, rank or host', { host: claim.host });
  }
}

function verifyDevice(token: Uint8Array, ephemeralPublicKey: Uint8Array, claim: PeerClaim, policy: EvidencePolicy): void {
  if (policy.verifyDevice === undefined) refuse('LINK_HANDSHAKE_EVIDENCE_INVALID', 'no verifier for device evidence');
  let attestedKey: Uint8Array;
  try {
    attestedKey = policy.verifyDevice(token, claim);
  } catch (error) {
    if (!isEmuError(error)) throw error;
    refuse('LINK_HANDSHAKE_EVIDENCE_INVALID', `device evidence refused: ${error.code}`, { cause: error.code });
  }
  if (!(attestedKey instanceof Uint8Array) || !equalBytes(attestedKey, ephemeralPublicKey)) {
    refuse('LINK_HANDSHAKE_KEY_MISMATCH', 'the device evidence does not attest the handshake key', { host: claim.host });
  }
}

/** Throws LINK_HANDSHAKE_* unless the evidence attests `ephemeralPublicKey` for `claim` under `policy`. */
export function verifyEvidence(evidence: LinkEvidence, ephemeralPublicKey: Uint8Array, claim: PeerClaim, policy: EvidencePolicy): void {
  if (evidence.kind === 'enclave') verifyEnclave(evidence.document, ephemeralPublicKey, claim, policy);
  else verifyDevice(evidence.token, ephemeralPublicKey, claim, policy);
}
