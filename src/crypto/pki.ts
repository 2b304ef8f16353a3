import type { RandomSource } from './bytes.ts';
import type { P384KeyPair } from './ecdsa.ts';

/** A certificate authority held by the emulated platform: DER certificate plus its signing key. */
export interface IssuedCertificate {
  readonly der: Uint8Array;
  readonly keyPair: P384KeyPair;
}

/**
 * The emulated Nitro root for one seed: P-384, `C=US, O=Amazon, OU=AWS, CN=emulated.nitro-enclaves`-style subject
 * that says it is emulated, valid 2019-10-28 … 2049-10-28 whatever the epoch, so the same seed gives the same bytes.
 */
export function createEmulatedNitroRoot(random: RandomSource): IssuedCertificate {
  throw new Error('TODO');
}

export interface NitroChainOptions {
  readonly random: RandomSource;
  readonly root: IssuedCertificate;
  /** Certificates below the root are issued at this instant. */
  readonly issuedAtMs: number;
  readonly region: string;
  readonly instanceId: string;
}

/** regional (pathlen 2, ~20 d) → zonal (pathlen 1, ~5 d) → instance (pathlen 0, 1 d, keyCertSign only). */
export interface NitroIntermediates {
  readonly regional: IssuedCertificate;
  readonly zonal: IssuedCertificate;
  readonly instance: IssuedCertificate;
  /** Root first, as in the document's cabundle. */
  readonly cabundle: readonly Uint8Array[];
}

export function createNitroIntermediates(options: NitroChainOptions): NitroIntermediates {
  throw new Error('TODO');
}

/** Leaf for one enclave: CA:FALSE, digitalSignature+nonRepudiation, valid 3 h + 3 s from `notBeforeMs`. */
export function issueEnclaveLeaf(options: {
  readonly random: RandomSource;
  readonly issuer: IssuedCertificate;
  readonly moduleId: string;
  readonly region: string;
  readonly notBeforeMs: number;
}): IssuedCertificate {
  throw new Error('TODO');
}
