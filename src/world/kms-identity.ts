import { createEmulatedWebPkiRoot, issueServerLeaf, kmsServerName, type IssuedCertificate } from '../crypto/index.ts';
import { Prng, type Simulator } from '../sim/index.ts';

/** The emulated web PKI root's fixed seed: the same root in every world, so the image can pin it. */
export const WEB_PKI_ROOT_SEED_NAME = 'emulated-web-pki-root';

let root: IssuedCertificate | undefined;

/** The emulated web PKI root (EMULATED, not a real CA): the same bytes in every world and every run. */
export function emulatedWebPkiRoot(): IssuedCertificate {
  root ??= createEmulatedWebPkiRoot(new Prng(0, WEB_PKI_ROOT_SEED_NAME));
  return root;
}

/** What KMS's endpoint presents over the secure channel: a per-world leaf under the web PKI root. */
export interface KmsTlsIdentity {
  readonly serverName: string;
  readonly chainDer: readonly Uint8Array[];
  readonly privateKey: Uint8Array;
}

export function kmsTlsIdentity(sim: Simulator, region: string): KmsTlsIdentity {
  const serverName = kmsServerName(region);
  const leaf = issueServerLeaf(sim.prng('kms.tls-leaf'), emulatedWebPkiRoot(), serverName);
  return { serverName, chainDer: [leaf.der], privateKey: leaf.keyPair.privateKey };
}
