// A small world for KMS tests: a simulator, an emulated Nitro PKI, an enclave RSA key and document factory.
import {
  createEmulatedNitroRoot,
  createNitroIntermediates,
  generateRsaKeyPair,
  issueEnclaveLeaf,
  sha384,
  signAttestationDocument,
  toHex,
  utf8,
  zeroPcr,
  type IssuedCertificate,
  type NitroIntermediates,
  type RsaKeyPair,
} from '../../src/crypto/index.ts';
import { KmsService, type KmsCaller, type KmsOptions } from '../../src/kms/index.ts';
import { NS_PER_MS, Simulator } from '../../src/sim/index.ts';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const PARENT: KmsCaller = { arn: `arn:aws:iam::${ACCOUNT}:role/parent-instance-role` };
export const OWNER: KmsCaller = { arn: `arn:aws:iam::${ACCOUNT}:role/model-owner` };
export const OUTSIDER: KmsCaller = { arn: 'arn:aws:iam::444455556666:role/somebody' };
export const INSTANCE_ID = 'i-0123456789abcdef0';
export const MODULE_ID = `${INSTANCE_ID}-enc0123456789abcdef`;
export const APPROVED_PCR0 = sha384(utf8('approved enclave image'));
export const APPROVED_PCR0_HEX = toHex(APPROVED_PCR0);

export interface Pki {
  readonly root: IssuedCertificate;
  readonly intermediates: NitroIntermediates;
  readonly leaf: IssuedCertificate;
}

export function buildPki(sim: Simulator, name: string): Pki {
  const root = createEmulatedNitroRoot(sim.prng(`${name}.root`));
  const intermediates = createNitroIntermediates({
    random: sim.prng(`${name}.intermediates`),
    root,
    issuedAtMs: sim.nowMs,
    region: REGION,
    instanceId: INSTANCE_ID,
  });
  const leaf = issueEnclaveLeaf({
    random: sim.prng(`${name}.leaf`),
    issuer: intermediates.instance,
    moduleId: MODULE_ID,
    region: REGION,
    notBeforeMs: sim.nowMs,
  });
  return { root, intermediates, leaf };
}

export interface TestWorld {
  readonly sim: Simulator;
  readonly pki: Pki;
  readonly kms: KmsService;
  readonly enclaveKey: RsaKeyPair;
}

// Key generation dominates test time; both depend only on the seed (and the fixed epoch), so build them once.
const pkiBySeed = new Map<number, Pki>();
const enclaveKeyBySeed = new Map<number, RsaKeyPair>();

export function makeWorld(seed = 7, options: Partial<KmsOptions> = {}): TestWorld {
  const sim = new Simulator({ seed });
  let pki = pkiBySeed.get(seed);
  if (pki === undefined) pkiBySeed.set(seed, (pki = buildPki(new Simulator({ seed }), 'test.pki')));
  let enclaveKey = enclaveKeyBySeed.get(seed);
  if (enclaveKey === undefined) {
    enclaveKey = generateRsaKeyPair(new Simulator({ seed }).prng('test.enclave-rsa'), 2048);
    enclaveKeyBySeed.set(seed, enclaveKey);
  }
  const kms = new KmsService({ sim, attestationRootDer: pki.root.der, ...options });
  return { sim, pki, kms, enclaveKey };
}

/** Moves virtual time forward synchronously. */
export function advanceMs(sim: Simulator, ms: number): void {
  sim.schedule(ms * NS_PER_MS, 'test.advance', () => undefined);
  while (sim.step()) {
    // drain: only our own event is queued
  }
}

export interface DocOptions {
  readonly pcr0?: Uint8Array;
  readonly debugMode?: boolean;
  readonly publicKey?: Uint8Array | null;
  readonly nonce?: Uint8Array | null;
  readonly timestampMs?: number;
  readonly pki?: Pki;
}

/** A signed attestation document as the NSM would return it, with PCR0..15 set like a real enclave's. */
export function attestationDoc(world: TestWorld, options: DocOptions = {}): Uint8Array {
  const pki = options.pki ?? world.pki;
  const pcrs = new Map<number, Uint8Array>();
  for (let i = 0; i < 16; i++) pcrs.set(i, zeroPcr());
  if (options.debugMode !== true) {
    pcrs.set(0, options.pcr0 ?? APPROVED_PCR0);
    pcrs.set(1, sha384(utf8('kernel')));
    pcrs.set(2, sha384(utf8('application')));
  }
  pcrs.set(3, sha384(utf8(PARENT.arn)));
  pcrs.set(4, sha384(utf8(INSTANCE_ID)));
  return signAttestationDocument(
    {
      moduleId: MODULE_ID,
      digest: 'SHA384',
      timestamp: options.timestampMs ?? world.sim.nowMs,
      pcrs,
      certificate: pki.leaf.der,
      cabundle: pki.intermediates.cabundle,
      publicKey: options.publicKey === undefined ? world.enclaveKey.spki : options.publicKey,
      userData: null,
      nonce: options.nonce ?? null,
    },
    pki.leaf.keyPair.privateKey,
  );
}

export function recipient(document: Uint8Array): { KeyEncryptionAlgorithm: string; AttestationDocument: Uint8Array } {
  return { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: document };
}

/**
 * The model owner's key: the owner administers and generates data keys; the parent role may Decrypt and generate
 * only for an enclave whose PCR0 is the approved image.
 */
export function attestedPolicy(pcr0Hex = APPROVED_PCR0_HEX): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OwnerAdmin',
        Effect: 'Allow',
        Principal: { AWS: OWNER.arn },
        Action: ['kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:Put*', 'kms:Get*', 'kms:Disable*', 'kms:Encrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      },
      {
        Sid: 'EnclaveOnly',
        Effect: 'Allow',
        Principal: { AWS: PARENT.arn },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyPair'],
        Resource: '*',
        Condition: { StringEqualsIgnoreCase: { 'kms:RecipientAttestation:ImageSha384': pcr0Hex } },
      },
    ],
  });
}

/** A policy without an attestation condition: the negative control. */
export function unconditionalPolicy(): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'OwnerAdmin', Effect: 'Allow', Principal: { AWS: OWNER.arn }, Action: 'kms:*', Resource: '*' },
      { Sid: 'ParentDecrypt', Effect: 'Allow', Principal: { AWS: PARENT.arn }, Action: 'kms:Decrypt', Resource: '*' },
    ],
  });
}

export function createKey(world: TestWorld, policy?: string): string {
  const request = policy === undefined ? {} : { Policy: policy };
  return world.kms.call('CreateKey', request, OWNER).KeyMetadata.KeyId;
}

/** Runs `fn`, expecting a KmsError; returns it. */
export function refusal(fn: () => unknown): { code: string; awsType: string; awsMessage: string; details: Record<string, unknown> | undefined } {
  try {
    fn();
  } catch (error) {
    const e = error as { code?: string; awsType?: string; awsMessage?: string; details?: Record<string, unknown> };
    if (typeof e.code === 'string' && typeof e.awsType === 'string') {
      return { code: e.code, awsType: e.awsType, awsMessage: e.awsMessage ?? '', details: e.details };
    }
    throw error;
  }
  throw new Error('expected a KmsError, but the call succeeded');
}
