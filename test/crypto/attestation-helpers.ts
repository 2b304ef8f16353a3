import { readFileSync } from 'node:fs';
import {
  type AttestationDocument,
  type IssuedCertificate,
  type NitroIntermediates,
  createEmulatedNitroRoot,
  createNitroIntermediates,
  fromHex,
  issueEnclaveLeaf,
  pemToDer,
} from '../../src/crypto/index.ts';
import { Prng } from '../../src/sim/prng.ts';

export const FIXTURES = new URL('../fixtures/nitro/', import.meta.url);
export const AWS_ROOT_SHA256 = '641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b';

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

export function awsRootDer(): Uint8Array {
  return pemToDer(readFileSync(new URL('AWS_NitroEnclaves_Root-G1.pem', FIXTURES), 'utf8'))[0]!;
}

export const h = fromHex;
export { errorCode, expectCode } from '../helpers/errors.ts';



export const EPOCH_MS = Date.UTC(2026, 0, 1);
export const REGION = 'eu-west-1';
export const INSTANCE_ID = 'i-0123456789abcdef0';
export const MODULE_ID = `${INSTANCE_ID}-enc019b7a1c2d3e4f50`;

export interface TestPki {
  readonly root: IssuedCertificate;
  readonly chain: NitroIntermediates;
  readonly leaf: IssuedCertificate;
}

/** Root, intermediates issued at EPOCH_MS, and a leaf from EPOCH_MS + 1 s, all from one seed. */
export function buildPki(seed: number): TestPki {
  const random = new Prng(seed, 'test-pki');
  const root = createEmulatedNitroRoot(random);
  const chain = createNitroIntermediates({ random, root, issuedAtMs: EPOCH_MS, region: REGION, instanceId: INSTANCE_ID });
  const leaf = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId: MODULE_ID, region: REGION, notBeforeMs: EPOCH_MS + 1000 });
  return { root, chain, leaf };
}

export function samplePcrs(count = 16): Map<number, Uint8Array> {
  const pcrs = new Map<number, Uint8Array>();
  for (let i = 0; i < count; i++) pcrs.set(i, new Uint8Array(48).fill(i === 3 || i >= 5 ? 0 : 0x10 + i));
  return pcrs;
}

export function sampleDoc(pki: TestPki, overrides: Partial<AttestationDocument> = {}): AttestationDocument {
  return {
    moduleId: MODULE_ID,
    digest: 'SHA384',
    timestamp: EPOCH_MS + 60_000,
    pcrs: samplePcrs(),
    certificate: pki.leaf.der,
    cabundle: pki.chain.cabundle,
    publicKey: new Uint8Array(294).fill(0x30),
    userData: new TextEncoder().encode('user data'),
    nonce: null,
    ...overrides,
  };
}
