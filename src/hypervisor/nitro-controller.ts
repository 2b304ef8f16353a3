import {
  createEmulatedNitroRoot,
  createNitroIntermediates,
  issueEnclaveLeaf,
  parseCertificate,
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
/** Intermediates are re-issued this long before the first of them expires (the instance CA lives one day). */
const CHAIN_RENEW_MARGIN_MS = 4 * 60 * 60 * 1000;

/**
 * The emulated Nitro card's attestation half: it holds the per-seed root and the signing keys below
 * it, and signs documents for the NSMs of this host. Its private keys never leave this object.
 */
export class NitroController {
  readonly region: string;
  readonly rootCertificateDer: Uint8Array;
  readonly #sim: Simulator;
  readonly #root: IssuedCertificate;
  readonly #intermediates = new Map<string, { chain: NitroIntermediates; notAfterMs: number }>();

  constructor(sim: Simulator, region: string) {
    this.#sim = sim;
    this.region = region;
    // A stream used for nothing else: the root depends on the seed alone, never on the epoch or history.
    this.#root = createEmulatedNitroRoot(sim.prng('nitro.root'));
    this.rootCertificateDer = this.#root.der;
  }

  /** The chain below the root for one parent instance (root first, as in a document's cabundle). */
  cabundleFor(instanceId: string): readonly Uint8Array[] {
    return this.#chainFor(instanceId).cabundle;
  }

  issuerFor(instanceId: string, moduleId: string): AttestationIssuer {
    const chainFor = () => this.#chainFor(instanceId);
    const random = this.#sim.prng(`nitro.leaf.${moduleId}`);
    let leaf: (IssuedCertificate & { readonly issuer: Uint8Array }) | undefined;
    let leafNotAfterMs = 0;
    const sim = this.#sim;
    const region = this.region;
    return {
      moduleId,
      issue(request) {
        const chain = chainFor();
        // A new leaf when the old one nears expiry or its issuer was re-issued.
        if (leaf === undefined || leaf.issuer !== chain.instance.der || sim.nowMs > leafNotAfterMs - LEAF_RENEW_MARGIN_MS) {
          const issued = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId, region, notBeforeMs: sim.nowMs });
          leaf = { ...issued, issuer: chain.instance.der };
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

  /** The chain is issued at the epoch and re-issued when its shortest-lived certificate nears expiry. */
  #chainFor(instanceId: string): NitroIntermediates {
    const current = this.#intermediates.get(instanceId);
    if (current !== undefined && this.#sim.nowMs <= current.notAfterMs - CHAIN_RENEW_MARGIN_MS) return current.chain;
    const chain = createNitroIntermediates({
      random: this.#sim.prng(`nitro.chain.${instanceId}`),
      root: this.#root,
      issuedAtMs: current === undefined ? this.#sim.epochMs : this.#sim.nowMs,
      region: this.region,
      instanceId,
    });
    const notAfterMs = Math.min(...[chain.regional, chain.zonal, chain.instance].map((c) => parseCertificate(c.der).notAfterMs));
    this.#intermediates.set(instanceId, { chain, notAfterMs });
    return chain;
  }
}
