import {
  type ParsedCertificate,
  type RandomSource,
  equalBytes,
  parseCertificate,
  readDiceTcbInfo,
  toHex,
  verifyCertificateChain,
  verifySpdmMeasurements,
} from '../../crypto/index.ts';
import { MEASUREMENT_INDEX, readOpaqueClaims } from '../measurements.ts';
import type { SpdmRequester } from '../spdm/index.ts';
import type { AcceleratorFlavour } from '../types.ts';
import { type DeviceClaims, judgeClaims } from './claims.ts';
import type { DriverDefences, DriverEventSink } from './defences.ts';
import { asDeviceError, deviceError } from './evidence-errors.ts';
import type { DeviceTrustPolicy } from './index.ts';

/** Root, product CA, provisioner ICA, device identity, alias leaf: NVIDIA's five; a little room, then refuse. */
export const DEVICE_CHAIN_CERTS_MAX = 8;
export const NONCE_BYTES = 32;

export interface EvidenceContext {
  readonly deviceId: string;
  readonly flavour: AcceleratorFlavour;
  readonly policy: DeviceTrustPolicy;
  readonly defences: DriverDefences;
  readonly emit: DriverEventSink;
}

export interface JudgedEvidence {
  readonly claims: DeviceClaims;
  /** The key the session must be bound to (the attested alias leaf's). */
  readonly leafPublicKey: Uint8Array;
}

function parseChain(chainDer: readonly Uint8Array[]): ParsedCertificate[] {
  if (chainDer.length < 2 || chainDer.length > DEVICE_CHAIN_CERTS_MAX) {
    deviceError('DEVICE_CHAIN_INVALID', `a device chain has 2..${DEVICE_CHAIN_CERTS_MAX} certificates, got ${chainDer.length}`);
  }
  return chainDer.map((der, i) => asDeviceError('DEVICE_CHAIN_INVALID', `certificate ${i}`, () => parseCertificate(der)));
}

function checkChain(ctx: EvidenceContext, chain: readonly ParsedCertificate[]): void {
  const rootDer = ctx.policy.vendorRootsDer[ctx.flavour];
  if (rootDer === undefined) deviceError('DEVICE_CHAIN_INVALID', `the policy pins no vendor root for ${ctx.flavour}`);
  const root = asDeviceError('DEVICE_CHAIN_INVALID', 'pinned vendor root', () => parseCertificate(rootDer));
  const leafFirst = [...chain].reverse();
  asDeviceError('DEVICE_CHAIN_INVALID', 'device certificate chain', () => verifyCertificateChain(leafFirst, root, ctx.policy.atMs));
  // The identity certificate (just above the alias leaf) names the device; a chain for another device is refused.
  const identity = chain[chain.length - 2]!;
  if (identity.serialHex.toLowerCase() !== ctx.deviceId.toLowerCase()) {
    deviceError('DEVICE_CHAIN_INVALID', `the chain is device ${identity.serialHex}'s, the port is device ${ctx.deviceId}'s`, {
      deviceId: ctx.deviceId, chainDeviceId: identity.serialHex,
    });
  }
}

/**
 * Judges one device's SPDM evidence: the chain (root first … alias leaf last) to the pinned vendor root, the
 * report's signature by the alias key, the nonce, then the claims (opaque TLVs, DICE TcbInfo) against the policy.
 * Pure: usable on evidence recorded earlier (a replayed report fails the nonce).
 */
export function judgeSpdmEvidence(
  ctx: EvidenceContext,
  chainDer: readonly Uint8Array[],
  report: Uint8Array,
  nonce: Uint8Array,
): JudgedEvidence {
  const chain = parseChain(chainDer);
  if (ctx.defences.verifyDeviceChain) {
    checkChain(ctx, chain);
    ctx.emit('driver.attest.chain', { deviceId: ctx.deviceId, certificates: chain.length });
  }
  const leaf = chain[chain.length - 1]!;
  const leafPublicKey = leaf.p384PublicKey;
  if (leafPublicKey === undefined) deviceError('DEVICE_CHAIN_INVALID', 'the alias leaf key is not P-384');
  const verified = asDeviceError(
    'DEVICE_SIGNATURE_INVALID',
    'measurement report',
    () => verifySpdmMeasurements(report, leafPublicKey, { expectedNonce: nonce }),
    { SPDM_NONCE_MISMATCH: 'DEVICE_NONCE_MISMATCH' },
  );
  ctx.emit('driver.attest.report', { deviceId: ctx.deviceId, blocks: verified.transcript.response.blocks.length });
  const opaque = asDeviceError('DEVICE_EVIDENCE_MALFORMED', 'opaque data', () => readOpaqueClaims(verified.transcript.response.opaque));
  const tcb = asDeviceError('DEVICE_EVIDENCE_MALFORMED', 'alias TcbInfo', () => readDiceTcbInfo(leaf.der));
  const measurements = new Map(verified.measurements.map((m) => [m.index, m.digest]));
  // The alias certificate (signed by the identity key at boot) and the report (signed by the alias key) must agree;
  // when they do not, the conservative reading wins: the lower svn and no FWID at all.
  const fwidAgrees = tcb !== null && equalBytes(tcb.fwid, opaque.fwid);
  const claims: DeviceClaims = {
    deviceId: ctx.deviceId,
    flavour: ctx.flavour,
    mode: opaque.mode,
    svn: tcb === null ? undefined : Math.min(tcb.svn, opaque.svn),
    fwidHex: fwidAgrees ? toHex(tcb.fwid) : undefined,
    firmwareMeasurementHex: measurements.get(MEASUREMENT_INDEX.firmware),
    measurements,
  };
  judgeClaims(claims, ctx.policy, ctx.defences, ctx.emit);
  return { claims, leafPublicKey };
}

/** GPU flavour: the driver itself asks the device (over the host's relay) for its chain and a fresh report. */
export function attestSpdmDirect(
  ctx: EvidenceContext,
  requester: SpdmRequester,
  random: RandomSource,
): JudgedEvidence {
  asDeviceError('DEVICE_SESSION_FAILED', 'SPDM negotiation', () => requester.negotiate());
  const chainDer = asDeviceError('DEVICE_CHAIN_INVALID', 'SPDM certificate chain', () => requester.certificateChain());
  const nonce = random.bytes(NONCE_BYTES);
  const report = asDeviceError('DEVICE_SIGNATURE_INVALID', 'SPDM measurements', () => requester.measurements(nonce), {
    SPDM_NONCE_MISMATCH: 'DEVICE_NONCE_MISMATCH',
  });
  return judgeSpdmEvidence(ctx, chainDer, report, nonce);
}
