import { describe, expect, it } from 'vitest';
import {
  decodeCborStrict,
  decodeCoseSign1,
  encodeCbor,
  encodeCoseSign1Es384,
  createEmulatedNitroRoot,
  createNitroIntermediates,
  issueEnclaveLeaf,
  sha384,
  utf8,
} from '../../src/crypto/index.ts';
import {
  ENDORSEMENT_AGE_MS_MAX,
  type DeviceEndorsementClaims,
  type EndorsementSigner,
  signDeviceEndorsement,
  verifyDeviceEndorsement,
} from '../../src/accelerator/endorsement.ts';
import { Prng } from '../../src/sim/prng.ts';
import { flipped } from '../helpers/bytes.ts';
import { emuErrorFrom, expectCode } from '../helpers/errors.ts';

const EPOCH_MS = Date.UTC(2026, 0, 15, 12);
const NOW_MS = EPOCH_MS + 60_000;
const REGION = 'us-east-1';

function buildSigner(seed: number, moduleId = 'nitro-device-endorser-card'): { rootDer: Uint8Array; signer: EndorsementSigner } {
  const random = new Prng(seed, 'endorsement-test');
  const root = createEmulatedNitroRoot(random);
  const chain = createNitroIntermediates({ random, root, issuedAtMs: EPOCH_MS, region: REGION, instanceId: 'i-0123456789abcdef0' });
  const leaf = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId, region: REGION, notBeforeMs: EPOCH_MS });
  return { rootDer: root.der, signer: { leaf, cabundle: chain.cabundle } };
}

const { rootDer, signer } = buildSigner(7);
const nonce = sha384(utf8('enclave nonce')).slice(0, 32);
const claims: DeviceEndorsementClaims = {
  deviceId: '5a1b2c3d4e5f',
  flavour: 'trainium',
  mode: 'confidential',
  svn: 3,
  fwid: sha384(utf8('firmware image')),
  measurements: new Map([
    [2, sha384(utf8('mutable firmware'))],
    [1, sha384(utf8('boot rom'))],
  ]),
  leafPublicKey: signer.leaf.keyPair.publicKey,
  nonce,
  timestampMs: NOW_MS,
};
const options = { nitroRootDer: rootDer, atMs: NOW_MS + 1000, expectedNonce: nonce };
const endorsement = signDeviceEndorsement(claims, signer);

describe('device endorsement (platform-mediated, assumed design)', () => {
  it('round-trips every claim, labels it assumed, and sorts the measurements', () => {
    const verified = verifyDeviceEndorsement(endorsement, options);
    expect(verified.assumed).toBe(true);
    expect(verified.deviceId).toBe(claims.deviceId);
    expect(verified.flavour).toBe('trainium');
    expect(verified.mode).toBe('confidential');
    expect(verified.svn).toBe(3);
    expect(verified.fwid).toEqual(claims.fwid);
    expect([...verified.measurements.keys()]).toEqual([1, 2]);
    expect(verified.measurements.get(2)).toEqual(claims.measurements.get(2));
    expect(verified.leafPublicKey).toEqual(claims.leafPublicKey);
    expect(verified.certificate).toEqual(signer.leaf.der);
    expect(verified.cabundle).toEqual(signer.cabundle);
  });

  it('is deterministic: same claims and key, same bytes', () => {
    expect(signDeviceEndorsement(claims, signer)).toEqual(endorsement);
  });

  it('refuses a wrong nonce', () => {
    expectCode(() => verifyDeviceEndorsement(endorsement, { ...options, expectedNonce: flipped(nonce, 0) }), 'DEVICE_ENDORSEMENT_NONCE');
  });

  it('refuses an endorsement signed by a forged root with the same names', () => {
    const forged = buildSigner(8);
    const bytes = signDeviceEndorsement(claims, forged.signer);
    expect(verifyDeviceEndorsement(bytes, { ...options, nitroRootDer: forged.rootDer }).deviceId).toBe(claims.deviceId);
    expectCode(() => verifyDeviceEndorsement(bytes, options), 'DEVICE_ENDORSEMENT_INVALID');
  });

  it('refuses a genuine bundle whose payload was signed by another key', () => {
    const cose = decodeCoseSign1(endorsement);
    const other = buildSigner(9).signer.leaf.keyPair.privateKey;
    expectCode(() => verifyDeviceEndorsement(encodeCoseSign1Es384(cose.payload, other), options), 'DEVICE_ENDORSEMENT_INVALID');
  });

  it('refuses a Nitro-chained leaf that is not a device endorser (an enclave attestation leaf)', () => {
    const enclaveLeaf = buildSigner(7, 'i-0123456789abcdef0-enc0000000000000001');
    expect(enclaveLeaf.rootDer).toEqual(rootDer);
    const error = expectCode(() => verifyDeviceEndorsement(signDeviceEndorsement(claims, enclaveLeaf.signer), options), 'DEVICE_ENDORSEMENT_INVALID');
    expect(error.message).toContain('not a device endorser');
  });

  it('refuses every flipped byte with a typed DEVICE_ENDORSEMENT_* error', () => {
    const positions = new Set<number>();
    for (let i = 0; i < 48; i++) positions.add(i);
    for (let i = 0; i < endorsement.length; i += 41) positions.add(i);
    for (let i = endorsement.length - 100; i < endorsement.length; i++) positions.add(i);
    for (const position of positions) {
      const error = emuErrorFrom(() => verifyDeviceEndorsement(flipped(endorsement, position), options));
      expect(error.code, `byte ${position}`).toMatch(/^DEVICE_ENDORSEMENT_(INVALID|EXPIRED|NONCE)$/);
    }
  });

  it('refuses a stale endorsement and an expired certificate', () => {
    expectCode(() => verifyDeviceEndorsement(endorsement, { ...options, atMs: NOW_MS + ENDORSEMENT_AGE_MS_MAX + 1 }), 'DEVICE_ENDORSEMENT_EXPIRED');
    const stale = signDeviceEndorsement({ ...claims, timestampMs: EPOCH_MS + 4 * 3600_000 }, signer);
    expectCode(() => verifyDeviceEndorsement(stale, { ...options, atMs: EPOCH_MS + 4 * 3600_000 }), 'DEVICE_ENDORSEMENT_EXPIRED');
  });

  it('refuses a re-signed payload that drops the assumed label or reorders keys', () => {
    const payload = decodeCborStrict(decodeCoseSign1(endorsement).payload, 'test') as Map<string, unknown>;
    const unlabelled = new Map(payload);
    unlabelled.set('assumed', false);
    const key = signer.leaf.keyPair.privateKey;
    const resigned = encodeCoseSign1Es384(encodeCbor(payload), key);
    expect(verifyDeviceEndorsement(resigned, options).assumed).toBe(true);
    const error = expectCode(() => verifyDeviceEndorsement(encodeCoseSign1Es384(encodeCbor(unlabelled), key), options), 'DEVICE_ENDORSEMENT_INVALID');
    expect(error.message).toContain('assumed is not true');
    const reordered = new Map([...payload].reverse());
    expectCode(() => verifyDeviceEndorsement(encodeCoseSign1Es384(encodeCbor(reordered), key), options), 'DEVICE_ENDORSEMENT_INVALID');
    const extra = new Map(payload);
    extra.set('debug', true);
    expectCode(() => verifyDeviceEndorsement(encodeCoseSign1Es384(encodeCbor(extra), key), options), 'DEVICE_ENDORSEMENT_INVALID');
  });

  it('refuses to sign claims it would refuse to verify', () => {
    expectCode(() => signDeviceEndorsement({ ...claims, fwid: new Uint8Array(32) }, signer), 'DEVICE_ENDORSEMENT_INVALID');
    expectCode(() => signDeviceEndorsement({ ...claims, measurements: new Map([[0, claims.fwid]]) }, signer), 'DEVICE_ENDORSEMENT_INVALID');
    expectCode(() => signDeviceEndorsement({ ...claims, mode: 'debug' as never }, signer), 'DEVICE_ENDORSEMENT_INVALID');
  });
});
