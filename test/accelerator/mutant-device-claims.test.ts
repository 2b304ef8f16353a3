import { describe, expect, it } from 'vitest';
import {
  createVendorPki,
  issueDeviceIdentity,
  issueFirmwareAlias,
  p384KeyPair,
  parseCertificate,
  sha384,
  toHex,
  utf8,
} from '../../src/crypto/index.ts';
import { DEFAULT_DRIVER_DEFENCES, judgeSpdmEvidence, type JudgedEvidence } from '../../src/accelerator/driver/index.ts';
import { encodeOpaque, linkModeClaim, MEASUREMENT_COUNT, MEASUREMENT_INDEX } from '../../src/accelerator/measurements.ts';
import { createSpdmRequester, createSpdmResponder } from '../../src/accelerator/spdm/index.ts';
import { EmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/prng.ts';
import { errorCode } from '../helpers/errors.ts';

// Mutants device-svn-takes-higher-claim and device-fwid-unchecked (scripts/mutant-list.ts): the alias certificate
// (issued at boot) and the signed measurement report each claim an svn and a FWID. When they disagree the driver
// must judge the lower svn, and the agreed FWID must still equal the measured firmware.
const AT_MS = Date.UTC(2026, 0, 1);
const VENDOR = 'mutant-test vendor';
const ROM = sha384(utf8('rom'));
const REFERENCE_FW = sha384(utf8('firmware 2.0'));
const OTHER_FW = sha384(utf8('firmware 1.0'));

interface Claims {
  readonly aliasSvn: number;
  readonly reportSvn: number;
  readonly aliasFwid: Uint8Array;
  readonly reportFwid: Uint8Array;
  readonly measuredFirmware: Uint8Array;
}

const HONEST: Claims = { aliasSvn: 5, reportSvn: 5, aliasFwid: REFERENCE_FW, reportFwid: REFERENCE_FW, measuredFirmware: REFERENCE_FW };

/** A correctly signed chain and report carrying `claims`, judged by the driver against a policy with svn ≥ 3. */
function judge(claims: Claims): JudgedEvidence {
  const random = new Prng(11, 'vendor');
  const pki = createVendorPki(random, { vendor: VENDOR, product: 'GX' });
  const identity = issueDeviceIdentity(pki, random, { deviceIdHex: '5a17e0c0ffee', ...p384KeyPair(new Prng(11, 'fuse')) });
  const alias = p384KeyPair(new Prng(11, 'alias'));
  const leaf = issueFirmwareAlias(identity, random, {
    publicKey: alias.publicKey,
    tcb: { fwid: claims.aliasFwid, svn: claims.aliasSvn, vendor: VENDOR, model: 'GX' },
  });
  const chainDer = [pki.root.der, ...pki.intermediates.map((c) => c.der), identity.der, leaf.der];
  const responder = createSpdmResponder(new Prng(11, 'device-spdm'), {
    identity: () => ({ chainDer, leafPrivateKey: alias.privateKey }),
    measurements: () => [
      { index: MEASUREMENT_INDEX.rom, valueType: 0x00, digest: ROM },
      { index: MEASUREMENT_INDEX.firmware, valueType: 0x01, digest: claims.measuredFirmware },
    ],
    opaque: () =>
      encodeOpaque({
        mode: 'confidential',
        svn: claims.reportSvn,
        fwid: claims.reportFwid,
        firmwareVersion: 'test',
        linkMode: linkModeClaim(),
        measurementChangeCounts: new Array<number>(MEASUREMENT_COUNT).fill(0),
      }),
    onSessionEstablished: () => undefined,
    onSessionEnded: () => undefined,
    onSecuredCommand: () => {
      throw new EmuError('DEV_NOT_READY', 'no commands in this test');
    },
  });
  const requester = createSpdmRequester(new Prng(11, 'driver-spdm'), (request) => responder.handle(request));
  requester.negotiate();
  const chain = requester.certificateChain();
  const nonce = new Prng(11, 'nonce').bytes(32);
  const report = requester.measurements(nonce);
  const policy = {
    vendorRootsDer: { gpu: pki.root.der },
    minSvn: 3,
    requiredMode: 'confidential' as const,
    referenceMeasurements: { gpu: new Map([[MEASUREMENT_INDEX.rom, toHex(ROM)], [MEASUREMENT_INDEX.firmware, toHex(REFERENCE_FW)]]) },
    atMs: AT_MS,
  };
  const deviceId = parseCertificate(identity.der).serialHex;
  return judgeSpdmEvidence({ deviceId, flavour: 'gpu', policy, defences: DEFAULT_DRIVER_DEFENCES, emit: () => undefined }, chain, report, nonce);
}


describe('driver: alias certificate and signed report must agree', () => {
  it('accepts honest evidence (control)', () => {
    const judged = judge(HONEST);
    expect(judged.claims.svn).toBe(5);
    expect(judged.claims.fwidHex).toBe(toHex(REFERENCE_FW));
  });

  it('judges the lower svn when the two disagree, in either direction', () => {
    expect(errorCode(() => judge({ ...HONEST, aliasSvn: 2 }))).toBe('DEVICE_FIRMWARE_ROLLBACK');
    expect(errorCode(() => judge({ ...HONEST, reportSvn: 2 }))).toBe('DEVICE_FIRMWARE_ROLLBACK');
    // Both above the floor: accepted with the lower of the two.
    expect(judge({ ...HONEST, aliasSvn: 4 }).claims.svn).toBe(4);
  });

  it('refuses an agreed FWID that is not the measured firmware, though every pinned measurement matches', () => {
    expect(errorCode(() => judge({ ...HONEST, aliasFwid: OTHER_FW, reportFwid: OTHER_FW }))).toBe('DEVICE_MEASUREMENT_MISMATCH');
    // A FWID the two sources disagree on is dropped, and refused the same way.
    expect(errorCode(() => judge({ ...HONEST, aliasFwid: OTHER_FW }))).toBe('DEVICE_MEASUREMENT_MISMATCH');
  });
});
