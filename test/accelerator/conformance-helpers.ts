import {
  type EmulatedAccelerator, type LockstepLimits, type Vendor, LockstepChannel, createSpdmRequester,
  encodeDeviceCommand, readOpaqueClaims,
} from '../../src/accelerator/index.ts';
import { equalBytes, parseCertificate, verifyCertificateChain, verifySpdmMeasurements } from '../../src/crypto/index.ts';
import { EmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/index.ts';

/** The enclave side of the conformance suite: what a driver does, written out plainly so each step can be checked. */
export const AT_MS = Date.UTC(2026, 0, 1);

export function attest(device: EmulatedAccelerator, vendor: Vendor, seed = 1) {
  const requester = createSpdmRequester(new Prng(seed, `requester-${device.deviceId}`), (r) => device.spdm(r));
  requester.negotiate();
  const chain = requester.certificateChain();
  if (chain[0] === undefined || !equalBytes(chain[0], vendor.rootDer)) {
    throw new EmuError('TEST_UNPINNED_ROOT', 'the device chain does not start at the pinned vendor root');
  }
  const leafFirst = chain.slice(1).reverse().map((der) => parseCertificate(der));
  verifyCertificateChain(leafFirst, parseCertificate(vendor.rootDer), AT_MS);
  const leafKey = leafFirst[0]!.p384PublicKey!;
  const nonce = new Prng(seed, `nonce-${device.deviceId}`).bytes(32);
  const report = requester.measurements(nonce);
  const verification = verifySpdmMeasurements(report, leafKey, { expectedNonce: nonce, reference: vendor.referenceManifest().measurements });
  const claims = readOpaqueClaims(verification.transcript.response.opaque);
  return { requester, leafKey, nonce, report, verification, claims, chain };
}

export function attach(device: EmulatedAccelerator, vendor: Vendor, limits?: LockstepLimits, seed = 1) {
  const evidence = attest(device, vendor, seed);
  const session = evidence.requester.keyExchange(evidence.leafKey);
  session.command(encodeDeviceCommand({ command: 'SET_READY' }));
  return {
    ...evidence,
    session,
    h2d: new LockstepChannel(session.exportMaster, 'h2d-data', limits),
    d2h: new LockstepChannel(session.exportMaster, 'd2h-data', limits),
  };
}

export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) !== -1;
}
