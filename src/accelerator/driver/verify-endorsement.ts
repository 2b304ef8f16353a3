import {
  type CborNode,
  type RandomSource,
  decodeCoseSign1,
  equalBytes,
  parseCborTree,
  parseCertificate,
  toHex,
  verifyCertificateChain,
  verifyCoseSign1Es384,
} from '../../crypto/index.ts';
import { ENDORSEMENT_BYTES_MAX, ENDORSEMENT_CABUNDLE_MAX, verifyDeviceEndorsement } from '../endorsement.ts';
import { MEASUREMENT_INDEX } from '../measurements.ts';
import type { EnclaveDevicePort } from './index.ts';
import { type DeviceClaims, hexMap, judgeClaims } from './claims.ts';
import { asDeviceError, deviceError } from './evidence-errors.ts';
import { type EvidenceContext, type JudgedEvidence, NONCE_BYTES } from './verify-spdm.ts';

/**
 * Trainium flavour (ASSUMED design, research/gpu-cc.md §4.3): the Nitro controller verified the device's SPDM
 * evidence and vouches for it in a COSE_Sign1 endorsement bound to our nonce. The driver checks the controller's
 * chain to the pinned Nitro root and the signature itself first (so the refusal names what failed), then the
 * codec's strict verification, then the same policy as for a GPU on the endorsed claims.
 */
function signerOf(payload: Uint8Array): { certificate: Uint8Array; cabundle: Uint8Array[] } {
  const root = parseCborTree(payload, 'device endorsement payload', { maxBytes: ENDORSEMENT_BYTES_MAX, maxDepth: 4 });
  if (root.kind !== 'map') deviceError('DEVICE_ENDORSEMENT_INVALID', 'endorsement payload is not a map');
  const field = (name: string): CborNode | undefined => root.entries.find(([k]) => k.kind === 'text' && k.value === name)?.[1];
  const certificate = field('certificate');
  const cabundle = field('cabundle');
  if (certificate?.kind !== 'bytes' || cabundle?.kind !== 'array') {
    deviceError('DEVICE_ENDORSEMENT_INVALID', 'endorsement carries no certificate and cabundle');
  }
  if (cabundle.items.length < 1 || cabundle.items.length > ENDORSEMENT_CABUNDLE_MAX) {
    deviceError('DEVICE_ENDORSEMENT_INVALID', 'endorsement cabundle has the wrong size');
  }
  const bundle = cabundle.items.map((item) => {
    if (item.kind !== 'bytes') deviceError('DEVICE_ENDORSEMENT_INVALID', 'cabundle entry is not a byte string');
    return item.value;
  });
  return { certificate: certificate.value, cabundle: bundle };
}

function checkSigner(ctx: EvidenceContext, bytes: Uint8Array): void {
  const cose = asDeviceError('DEVICE_ENDORSEMENT_INVALID', 'endorsement envelope', () => decodeCoseSign1(bytes));
  const signer = asDeviceError('DEVICE_ENDORSEMENT_INVALID', 'endorsement payload', () => signerOf(cose.payload));
  const rootDer = ctx.policy.nitroRootDer;
  if (rootDer === undefined) deviceError('DEVICE_CHAIN_INVALID', 'the policy pins no Nitro root');
  if (!equalBytes(signer.cabundle[0]!, rootDer)) deviceError('DEVICE_CHAIN_INVALID', 'the endorsement does not chain to the pinned Nitro root');
  const root = asDeviceError('DEVICE_CHAIN_INVALID', 'pinned Nitro root', () => parseCertificate(rootDer));
  const leaf = asDeviceError('DEVICE_CHAIN_INVALID', 'endorser certificate', () => parseCertificate(signer.certificate));
  const intermediates = signer.cabundle
    .slice(1)
    .reverse()
    .map((der) => asDeviceError('DEVICE_CHAIN_INVALID', 'endorsement cabundle', () => parseCertificate(der)));
  asDeviceError('DEVICE_CHAIN_INVALID', 'endorser chain', () => verifyCertificateChain([leaf, ...intermediates], root, ctx.policy.atMs));
  ctx.emit('driver.attest.chain', { deviceId: ctx.deviceId, certificates: signer.cabundle.length + 1 });
  if (leaf.p384PublicKey === undefined || !verifyCoseSign1Es384(cose, leaf.p384PublicKey)) {
    deviceError('DEVICE_SIGNATURE_INVALID', 'the endorsement signature does not verify with the endorser certificate', {
      deviceId: ctx.deviceId,
    });
  }
}

/** Pure: judges endorsement bytes against the nonce the driver sent (an old endorsement fails it). */
export function judgeEndorsement(ctx: EvidenceContext, bytes: Uint8Array, nonce: Uint8Array): JudgedEvidence {
  if (bytes.length > ENDORSEMENT_BYTES_MAX) deviceError('DEVICE_ENDORSEMENT_INVALID', 'endorsement is too large');
  let trustedRootDer = ctx.policy.nitroRootDer;
  if (ctx.defences.verifyDeviceChain) {
    checkSigner(ctx, bytes);
  } else {
    // Negative control: trust whatever root the endorsement carries (a forged controller passes).
    const cose = asDeviceError('DEVICE_ENDORSEMENT_INVALID', 'endorsement envelope', () => decodeCoseSign1(bytes));
    trustedRootDer = asDeviceError('DEVICE_ENDORSEMENT_INVALID', 'endorsement payload', () => signerOf(cose.payload)).cabundle[0];
  }
  if (trustedRootDer === undefined) deviceError('DEVICE_CHAIN_INVALID', 'the policy pins no Nitro root');
  const rootDer = trustedRootDer;
  const endorsed = asDeviceError(
    'DEVICE_ENDORSEMENT_INVALID',
    'endorsement',
    () => verifyDeviceEndorsement(bytes, { nitroRootDer: rootDer, atMs: ctx.policy.atMs, expectedNonce: nonce }),
    { DEVICE_ENDORSEMENT_NONCE: 'DEVICE_NONCE_MISMATCH', DEVICE_ENDORSEMENT_EXPIRED: 'DEVICE_ENDORSEMENT_INVALID' },
  );
  if (endorsed.deviceId !== ctx.deviceId.toLowerCase() || endorsed.flavour !== ctx.flavour) {
    deviceError('DEVICE_ENDORSEMENT_INVALID', `the endorsement is for ${endorsed.flavour} ${endorsed.deviceId}, not this port's device`, {
      deviceId: ctx.deviceId, endorsedDeviceId: endorsed.deviceId,
    });
  }
  ctx.emit('driver.attest.endorsement', { deviceId: ctx.deviceId, assumed: true, timestampMs: endorsed.timestampMs });
  const measurements = hexMap(endorsed.measurements);
  const claims: DeviceClaims = {
    deviceId: ctx.deviceId,
    flavour: ctx.flavour,
    mode: endorsed.mode,
    svn: endorsed.svn,
    fwidHex: toHex(endorsed.fwid),
    firmwareMeasurementHex: measurements.get(MEASUREMENT_INDEX.firmware),
    measurements,
  };
  judgeClaims(claims, ctx.policy, ctx.defences, ctx.emit);
  return { claims, leafPublicKey: endorsed.leafPublicKey };
}

export function attestPlatformMediated(
  ctx: EvidenceContext,
  port: EnclaveDevicePort,
  random: RandomSource,
): JudgedEvidence {
  const endorse = port.endorsement;
  if (endorse === undefined) deviceError('DEVICE_ENDORSEMENT_INVALID', 'the platform offers no endorsement for this device');
  const nonce = random.bytes(NONCE_BYTES);
  const bytes = asDeviceError('DEVICE_ENDORSEMENT_INVALID', 'endorsement request', () => endorse.call(port, nonce));
  return judgeEndorsement(ctx, bytes, nonce);
}
