// Shared set-up for the secure-link tests: an emulated Nitro PKI, enclave evidence that signs whatever binding the
// handshake asks for, and a pair of attested sessions.
import {
  AttestationVerifier,
  type AttestationDocument,
  signAttestationDocument,
} from '../../src/crypto/index.ts';
import {
  type EvidenceBinding,
  type EvidencePolicy,
  type LinkEndpointOptions,
  type LinkEvidence,
  type LinkSession,
  type SecureLinkDefences,
  runLinkHandshake,
} from '../../src/efa/secure/index.ts';
import { Prng } from '../../src/sim/prng.ts';
import { EPOCH_MS, type TestPki, buildPki, sampleDoc, samplePcrs } from '../crypto/attestation-helpers.ts';

export { EPOCH_MS };
export const PCR0_GOOD = samplePcrs().get(0)!;
export const AT_MS = EPOCH_MS + 120_000;

let cachedPki: TestPki | undefined;
export function pki(): TestPki {
  cachedPki ??= buildPki(7);
  return cachedPki;
}

export function verifier(): AttestationVerifier {
  return new AttestationVerifier(pki().root.der);
}

export function policy(overrides: Partial<EvidencePolicy> = {}): EvidencePolicy {
  return { verifier: verifier(), pcr0Allowlist: [PCR0_GOOD], atMs: AT_MS, maxAgeMs: 5 * 60_000, ...overrides };
}

/** An enclave that attests whatever binding it is asked for, with its own PCRs (debug mode: all zero). */
export function enclaveAttester(
  options: { readonly debug?: boolean; readonly tweak?: (doc: AttestationDocument, binding: EvidenceBinding) => AttestationDocument } = {},
): (binding: EvidenceBinding) => LinkEvidence {
  return (binding) => {
    const pcrs = samplePcrs();
    if (options.debug === true) for (const index of pcrs.keys()) pcrs.set(index, new Uint8Array(48));
    let doc = sampleDoc(pki(), { pcrs, publicKey: binding.publicKeySpki, userData: binding.userData });
    if (options.tweak !== undefined) doc = options.tweak(doc, binding);
    return { kind: 'enclave', document: signAttestationDocument(doc, pki().leaf.keyPair.privateKey) };
  };
}

export function endpoint(host: number, rank: number, overrides: Partial<LinkEndpointOptions> = {}): LinkEndpointOptions {
  return {
    host,
    rank,
    jobId: 'job-alpha',
    random: new Prng(1000 + host, `link-${host}`),
    attest: enclaveAttester(),
    policy: policy(),
    ...overrides,
  };
}

/** Attested sessions between hosts a and b (a initiates). */
export function attestedPair(
  a: number,
  b: number,
  options: { readonly jobId?: string; readonly defences?: SecureLinkDefences } = {},
): { readonly a: LinkSession; readonly b: LinkSession } {
  const extra = { jobId: options.jobId ?? 'job-alpha', ...(options.defences === undefined ? {} : { defences: options.defences }) };
  const { initiator, responder } = runLinkHandshake({ ...endpoint(a, a, extra), peerHost: b }, endpoint(b, b, extra));
  return { a: initiator, b: responder };
}
