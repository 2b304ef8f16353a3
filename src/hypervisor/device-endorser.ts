import {
  type AcceleratorDevice,
  type DeviceEndorsementClaims,
  createSpdmRequester,
  readOpaqueClaims,
} from '../accelerator/index.ts';
import {
  type ParsedCertificate,
  type RandomSource,
  equalBytes,
  parseCertificate,
  readDiceTcbInfo,
  verifyCertificateChain,
  verifySpdmMeasurements,
} from '../crypto/index.ts';
import { EmuError, isEmuError } from '../errors.ts';

/**
 * The Nitro controller's half of the platform-mediated trust model (an ASSUMED design: AWS has not published how a
 * Nitro enclave learns what an attached Trainium is). The controller attests the device over its own private path
 * to the mailbox, never the parent's relay: SPDM certificate chain to an installed vendor root, signed measurements
 * over a fresh nonce, and the claims cross-checked (opaque FWID = firmware measurement = the alias certificate's
 * DICE FWID; opaque svn = DICE svn). Only then does it vouch for the device.
 */

/** Vendor roots one host trusts (one per accelerator vendor; bounds the list). */
export const VENDOR_ROOTS_MAX = 8;
const SPDM_NONCE_BYTES = 32;
const FIRMWARE_MEASUREMENT_INDEX = 2;
const DIGEST_BYTES = 48;

export type DeviceEvidence = Omit<DeviceEndorsementClaims, 'nonce' | 'timestampMs'>;

function rejected(deviceId: string, message: string, cause: string): never {
  throw new EmuError('HV_DEVICE_EVIDENCE_REJECTED', `device ${deviceId}: ${message}`, { deviceId, cause });
}

function trustedRoot(deviceId: string, chainRootDer: Uint8Array, vendorRoots: readonly Uint8Array[]): ParsedCertificate {
  const pinned = vendorRoots.find((der) => equalBytes(der, chainRootDer));
  if (pinned === undefined) rejected(deviceId, 'its certificate chain does not start at an installed vendor root', 'CHAIN_UNTRUSTED_ROOT');
  return parseCertificate(pinned);
}

function collect(device: AcceleratorDevice, random: RandomSource, vendorRoots: readonly Uint8Array[], atMs: number): DeviceEvidence {
  const deviceId = device.deviceId;
  // The controller's private path: straight to the device's mailbox, no host relay in between.
  const requester = createSpdmRequester(random, (request) => device.spdm(request));
  requester.negotiate();
  const chain = requester.certificateChain();
  if (chain.length < 3) rejected(deviceId, 'its certificate chain is too short for root → identity → alias', 'CHAIN_TOO_SHORT');
  const root = trustedRoot(deviceId, chain[0]!, vendorRoots);
  const leafFirst = chain.slice(1).reverse().map((der) => parseCertificate(der));
  verifyCertificateChain(leafFirst, root, atMs);
  const leaf = leafFirst[0]!;
  const identity = leafFirst[1]!;
  if (leaf.p384PublicKey === undefined) rejected(deviceId, 'its alias key is not P-384', 'CHAIN_BAD_KEY');

  const nonce = random.bytes(SPDM_NONCE_BYTES);
  const { transcript } = verifySpdmMeasurements(requester.measurements(nonce), leaf.p384PublicKey, { expectedNonce: nonce });
  const opaque = readOpaqueClaims(transcript.response.opaque);
  const tcb = readDiceTcbInfo(leaf.der);
  if (tcb === null) rejected(deviceId, 'its alias certificate carries no DICE TcbInfo', 'DICE_MISSING');

  const measurements = new Map<number, Uint8Array>();
  for (const block of transcript.response.blocks) {
    // Bit 7 set means a raw bit stream rather than a digest: nothing the endorsement could carry as one.
    if ((block.valueType & 0x80) !== 0 || block.value.length !== DIGEST_BYTES) rejected(deviceId, `measurement ${block.index} is not a SHA-384 digest`, 'MEASUREMENT_FORMAT');
    measurements.set(block.index, block.value.slice());
  }
  const firmware = measurements.get(FIRMWARE_MEASUREMENT_INDEX);
  if (firmware === undefined || !equalBytes(firmware, opaque.fwid) || !equalBytes(tcb.fwid, opaque.fwid)) {
    rejected(deviceId, 'its FWID, firmware measurement and alias certificate disagree', 'FWID_MISMATCH');
  }
  if (tcb.svn !== opaque.svn) rejected(deviceId, `its reported svn ${opaque.svn} is not the alias certificate's ${tcb.svn}`, 'SVN_MISMATCH');
  // The id the host knows the device by must be the one its vendor certified.
  if (identity.serialHex.toLowerCase() !== deviceId.toLowerCase()) {
    rejected(deviceId, `its identity certificate is for device ${identity.serialHex}`, 'DEVICE_ID_MISMATCH');
  }
  return {
    deviceId: identity.serialHex.toLowerCase(),
    flavour: device.flavour,
    mode: opaque.mode,
    svn: opaque.svn,
    fwid: opaque.fwid.slice(),
    measurements,
    leafPublicKey: leaf.p384PublicKey.slice(),
  };
}

/** Attests a device for the controller; every failure is HV_DEVICE_EVIDENCE_REJECTED with the cause's code. */
export function collectDeviceEvidence(
  device: AcceleratorDevice,
  random: RandomSource,
  vendorRoots: readonly Uint8Array[],
  atMs: number,
): DeviceEvidence {
  try {
    return collect(device, random, vendorRoots, atMs);
  } catch (error) {
    if (isEmuError(error) && error.code !== 'HV_DEVICE_EVIDENCE_REJECTED') rejected(device.deviceId, error.message, error.code);
    throw error;
  }
}
