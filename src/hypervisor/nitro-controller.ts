import {
  createEmulatedNitroRoot,
  createNitroIntermediates,
  issueEnclaveLeaf,
  signAttestationDocument,
  type IssuedCertificate,
  type NitroIntermediates,
} from '../crypto/index.ts';
import type { Simulator } from '../sim/index.ts';

/** What the NSM asks the platform to sign (structurally the enclave folder's AttestationIssuer request). */
export interface AttestationFields {
  readonly pcrs: ReadonlyMap<number, Uint8Array>;
  readonly publicKey: Uint8Array | null;
  readonly userData: Uint8Array | null;
  readonly nonce: Uint8Array | null;
}

export interface AttestationIssuer {
  readonly moduleId: string;
  issue(request: AttestationFields): Uint8Array;
}

/** Reissue the leaf this long before it expires, so a document never carries a nearly dead certificate. */
const LEAF_RENEW_MARGIN_MS = 10 * 60 * 1000;

/**
 * The emulated Nitro card's attestation half: it holds the per-seed root and the signing keys below
 * it, and signs documents for the NSMs of this host. Its private keys never leave this object.
 */
export class NitroController {
  readonly region: string;
  readonly rootCertificateDer: Uint8Array;
  readonly #sim: Simulator;
  readonly #root: IssuedCertificate;
  readonly #intermediates = new Map<string, NitroIntermediates>();

  constructor(sim: Simulator, region: string) {
    this.#sim = sim;
    this.region = region;
    // A stream used for nothing else: the root depends on the seed alone, never on the epoch or history.
    this.#root = createEmulatedNitroRoot(sim.prng('nitro.root'));
    this.rootCertificateDer = this.#root.der;
  }

  /** The chain below the root for one parent instance, issued at the world's epoch. */
  cabundleFor(instanceId: string): readonly Uint8Array[] {
    return this.#chainFor(instanceId).cabundle;
  }

  issuerFor(instanceId: string, moduleId: string): AttestationIssuer {
    const chain = this.#chainFor(instanceId);
    const random = this.#sim.prng(`nitro.leaf.${moduleId}`);
    let leaf: IssuedCertificate | undefined;
    let leafNotAfterMs = 0;
    const sim = this.#sim;
    const region = this.region;
    return {
      moduleId,
      issue(request) {
        if (leaf === undefined || sim.nowMs > leafNotAfterMs - LEAF_RENEW_MARGIN_MS) {
          leaf = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId, region, notBeforeMs: sim.nowMs });
          leafNotAfterMs = sim.nowMs + 3 * 60 * 60 * 1000;
        }
        const document = signAttestationDocument(
          {
            moduleId,
            digest: 'SHA384',
            timestamp: sim.nowMs,
            pcrs: request.pcrs,
            certificate: leaf.der,
            cabundle: chain.cabundle,
            publicKey: request.publicKey,
            userData: request.userData,
            nonce: request.nonce,
          },
          leaf.keyPair.privateKey,
        );
        sim.record('nsm.attestation', { moduleId, bytes: document.length });
        return document;
      },
    };
  }

  #chainFor(instanceId: string): NitroIntermediates {
    let chain = this.#intermediates.get(instanceId);
    if (chain === undefined) {
      chain = createNitroIntermediates({
        random: this.#sim.prng(`nitro.chain.${instanceId}`),
        root: this.#root,
        issuedAtMs: this.#sim.epochMs,
        region: this.region,
        instanceId,
      });
      this.#intermediates.set(instanceId, chain);
    }
    return chain;
  }
}
