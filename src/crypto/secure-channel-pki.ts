import { EmuError } from '../errors.ts';
import type { RandomSource } from './bytes.ts';
import { p384KeyPair } from './ecdsa.ts';
import type { IssuedCertificate } from './pki.ts';
import { buildCertificate, buildName, ext, issueSelfSignedCa, randomSerial, subjectNameOf } from './x509-build.ts';

/**
 * An emulated "web PKI": the CA that stands in for the public CAs whose certificates real KMS endpoints
 * present over TLS. Its key comes from a fixed seed chosen by the caller (the world uses the same one in
 * every run), so the pinned root can ship inside the measured enclave image and images stay seed-independent.
 * Everything here says "emulated": nothing claims to be a real CA.
 */

export const WEB_PKI_ROOT_NOT_BEFORE_MS = Date.UTC(2020, 0, 1);
export const WEB_PKI_ROOT_NOT_AFTER_MS = Date.UTC(2049, 11, 31);
/** KMS leaves are issued per world for its whole plausible lifetime: the enclave checks them at its NSM's time. */
export const KMS_LEAF_NOT_BEFORE_MS = Date.UTC(2020, 0, 1);
export const KMS_LEAF_NOT_AFTER_MS = Date.UTC(2049, 0, 1);

const ROOT_SUBJECT = [
  ['C', 'US'],
  ['O', 'nitro-emu'],
  ['OU', 'emulated web PKI'],
  ['CN', 'nitro-emu emulated web PKI root'],
] as const;

/** The name KMS's leaf carries and a pinned client expects, e.g. `kms.us-east-1.amazonaws.com`. */
export function kmsServerName(region: string): string {
  if (!/^[a-z0-9-]{1,32}$/.test(region)) throw new EmuError('PKI_BAD_INPUT', `region ${JSON.stringify(region)} is not a region name`);
  return `kms.${region}.amazonaws.com`;
}

/** The emulated web PKI root: P-384, self-signed, CA. Same random source → same bytes. */
export function createEmulatedWebPkiRoot(random: RandomSource): IssuedCertificate {
  return issueSelfSignedCa(random, {
    subject: ROOT_SUBJECT,
    notBeforeMs: WEB_PKI_ROOT_NOT_BEFORE_MS,
    notAfterMs: WEB_PKI_ROOT_NOT_AFTER_MS,
    pathLength: 0,
    keyUsages: ['keyCertSign', 'cRLSign'],
  });
}

/**
 * A TLS-like server leaf for `serverName` (the CN; a pinned client compares it), issued by `issuer`.
 * A self-made issuer (an attacker's own "root") gives a leaf that a client pinned to the web PKI root refuses.
 */
export function issueServerLeaf(random: RandomSource, issuer: IssuedCertificate, serverName: string): IssuedCertificate {
  const keyPair = p384KeyPair(random);
  const der = buildCertificate({
    serial: randomSerial(random, 16),
    issuer: subjectNameOf(issuer.der),
    subject: buildName([
      ['C', 'US'],
      ['O', 'nitro-emu'],
      ['OU', 'emulated'],
      ['CN', serverName],
    ]),
    notBeforeMs: KMS_LEAF_NOT_BEFORE_MS,
    notAfterMs: KMS_LEAF_NOT_AFTER_MS,
    publicKey: keyPair.publicKey,
    extensions: [
      ext.basicConstraints(false),
      ext.authorityKeyIdentifier(issuer.keyPair.publicKey),
      ext.keyUsage(true, ['digitalSignature']),
    ],
    signingKey: issuer.keyPair.privateKey,
  });
  return { der, keyPair };
}
