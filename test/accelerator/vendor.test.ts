import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MEASUREMENT_INDEX, OPAQUE_TYPE, createVendor, decodeDeviceCommand, decodeDeviceStatus, encodeDeviceCommand,
  encodeDeviceStatus, firmwareDigestHex, firmwareSignatureValid, parseOpaqueTlvs, readOpaqueClaims,
} from '../../src/accelerator/index.ts';
import {
  fromHex, parseCertificate, parseSpdmMeasurements, readDiceTcbInfo, toHex, verifyCertificateChain,
} from '../../src/crypto/index.ts';
import { spdmHooksForTest } from '../../src/accelerator/device.ts';
import { Prng } from '../../src/sim/index.ts';
import { expectCode, hookSession, makeDevice, vendorFor } from './device-helpers.ts';

describe('vendor', () => {
  it('is deterministic from its random source and differs per seed and flavour', () => {
    const a = createVendor(new Prng(3, 'v'), 'gpu');
    const b = createVendor(new Prng(3, 'v'), 'gpu');
    expect(toHex(a.rootDer)).toBe(toHex(b.rootDer));
    expect(firmwareDigestHex(a.firmware.current)).toBe(firmwareDigestHex(b.firmware.current));
    expect(toHex(createVendor(new Prng(4, 'v'), 'gpu').rootDer)).not.toBe(toHex(a.rootDer));
    const trn = vendorFor('trainium');
    expect(parseCertificate(trn.rootDer).subject).toMatch(/TRN2|emulated|nitro-emu/);
    expect(trn.profile.description).toMatch(/ASSUMED/);
    expect(trn.profile.trustModel).toBe('platform-mediated-assumed');
    expect(vendorFor('gpu').profile.trustModel).toBe('spdm-direct');
  });

  it('signs its catalogue; a modified image (unsigned or foreign key) does not verify', () => {
    const vendor = vendorFor('gpu');
    const { current, vulnerable } = vendor.firmware;
    expect(current.svn).toBeGreaterThan(vulnerable.svn);
    expect(firmwareSignatureValid(current, vendor.firmwarePublicKey)).toBe(true);
    expect(firmwareSignatureValid(vulnerable, vendor.firmwarePublicKey)).toBe(true);
    const random = new Prng(1, 'mod');
    const patch = Uint8Array.of(0xde, 0xad);
    expect(firmwareSignatureValid(vendor.modifiedImage(current, patch, 'unsigned', random), vendor.firmwarePublicKey)).toBe(false);
    expect(firmwareSignatureValid(vendor.modifiedImage(current, patch, 'foreign-key', random), vendor.firmwarePublicKey)).toBe(false);
    // The svn is inside the signed bytes: relabelling an old image as new breaks its signature.
    expect(firmwareSignatureValid({ ...vulnerable, svn: current.svn }, vendor.firmwarePublicKey)).toBe(false);
    const flipped = current.code.slice();
    flipped[10] = flipped[10]! ^ 1;
    expect(firmwareSignatureValid({ ...current, code: flipped }, vendor.firmwarePublicKey)).toBe(false);
  });
});

describe('device identity, boot ROM and fuses', () => {
  it('is deterministic per seed: same id and same identity chain; another seed gives another device', () => {
    const a = makeDevice('trainium', { seed: 21 });
    const b = makeDevice('trainium', { seed: 21 });
    const c = makeDevice('trainium', { seed: 22 });
    expect(a.deviceId).toBe(b.deviceId);
    expect(spdmHooksForTest(a).identity().chainDer.map(toHex)).toEqual(spdmHooksForTest(b).identity().chainDer.map(toHex));
    expect(c.deviceId).not.toBe(a.deviceId);
  });

  it('chains root → CAs → identity (serial = device id) → alias with the running FWID and svn', () => {
    const device = makeDevice('gpu');
    const vendor = vendorFor('gpu');
    const identity = spdmHooksForTest(device).identity();
    expect(identity.chainDer).toHaveLength(5);
    expect(toHex(identity.chainDer[0]!)).toBe(toHex(vendor.rootDer));
    const leafFirst = identity.chainDer.slice(1).reverse().map((der) => parseCertificate(der));
    verifyCertificateChain(leafFirst, parseCertificate(vendor.rootDer), Date.UTC(2026, 0, 1));
    expect(leafFirst[1]!.serialHex.toLowerCase()).toBe(device.deviceId);
    const tcb = readDiceTcbInfo(identity.chainDer[4]!);
    expect(toHex(tcb!.fwid)).toBe(device.firmware().digestHex);
    expect(tcb!.svn).toBe(3);
  });

  it('refuses a rollback and a modified image at reset; the old image keeps running; a newer release boots', () => {
    const device = makeDevice('gpu');
    const vendor = vendorFor('gpu');
    const before = device.firmware();
    const aliasBefore = toHex(spdmHooksForTest(device).identity().chainDer[4]!);
    device.stageFirmware(vendor.firmware.vulnerable);
    expectCode(() => device.reset(), 'DEV_BOOT_REFUSED');
    expect(device.firmware()).toEqual(before);
    expect(device.drainEvents().find((e) => e.kind === 'BOOT_REFUSED')?.fields['reason']).toBe('below-anti-rollback-fuse');
    device.stageFirmware(vendor.modifiedImage(vendor.firmware.current, Uint8Array.of(1), 'foreign-key', new Prng(2, 'x')));
    expectCode(() => device.reset(), 'DEV_BOOT_REFUSED');
    expect(device.firmware()).toEqual(before);
    expect(toHex(spdmHooksForTest(device).identity().chainDer[4]!)).toBe(aliasBefore);
    const next = vendor.release({ version: '4.0.0', svn: 4, code: Uint8Array.of(1, 2, 3) });
    device.stageFirmware(next);
    expect(device.reset().epoch).toBe(3);
    expect(device.firmware().svn).toBe(4);
    expect(device.fuseMinSvn).toBe(4);
    // The new firmware has a new alias key: DICE makes the firmware change visible in the leaf itself.
    const leaf = spdmHooksForTest(device).identity();
    expect(toHex(leaf.chainDer[4]!)).not.toBe(aliasBefore);
    device.stageFirmware(vendor.firmware.current); // svn 3 < fuse 4 now
    expectCode(() => device.reset(), 'DEV_BOOT_REFUSED');
  });

  it('with the anti-rollback fuse off, the old signed image boots and shows its svn (the negative control)', () => {
    const device = makeDevice('gpu', { defences: { antiRollbackFuse: false } });
    device.stageFirmware(vendorFor('gpu').firmware.vulnerable);
    device.reset();
    expect(device.firmware().svn).toBe(1);
    const claims = readOpaqueClaims(spdmHooksForTest(device).opaque());
    expect(claims.svn).toBe(1);
    expect(claims.measurementChangeCounts[MEASUREMENT_INDEX.firmware - 1]).toBe(1);
  });
});

describe('measurements and opaque data', () => {
  it('match the reference manifest in confidential mode and change with the mode', () => {
    const device = makeDevice('trainium');
    const manifest = vendorFor('trainium').referenceManifest();
    const measured = new Map(spdmHooksForTest(device).measurements().map((r) => [r.index, toHex(r.digest)]));
    expect(measured).toEqual(manifest.measurements);
    device.setPendingMode('devtools');
    device.reset();
    const after = new Map(spdmHooksForTest(device).measurements().map((r) => [r.index, toHex(r.digest)]));
    expect(after.get(MEASUREMENT_INDEX.mode)).not.toBe(manifest.measurements.get(MEASUREMENT_INDEX.mode));
    expect(after.get(MEASUREMENT_INDEX.firmware)).toBe(manifest.measurements.get(MEASUREMENT_INDEX.firmware));
    const claims = readOpaqueClaims(spdmHooksForTest(device).opaque());
    expect(claims).toMatchObject({ mode: 'devtools', svn: 3, firmwareVersion: '3.2.0', linkMode: 'encrypted' });
    expect(claims.measurementChangeCounts[MEASUREMENT_INDEX.mode - 1]).toBe(1);
  });

  it('parses NVIDIA\'s real opaque TLVs, and refuses truncated, repeated or missing claims', () => {
    const report = fromHex(readFileSync(new URL('../fixtures/nvidia/hopper-attestation-report.hex', import.meta.url), 'utf8').trim());
    const opaque = parseSpdmMeasurements(report).response.opaque;
    const types = parseOpaqueTlvs(opaque).map((t) => t.type);
    expect(types).toContain(OPAQUE_TYPE.fwid);
    expectCode(() => readOpaqueClaims(opaque), 'DEV_BAD_OPAQUE'); // NVIDIA's report carries no emulator mode claim
    const ours = spdmHooksForTest(makeDevice('gpu')).opaque();
    expectCode(() => parseOpaqueTlvs(ours.subarray(0, ours.length - 1)), 'DEV_BAD_OPAQUE');
    const doubled = new Uint8Array([...ours, ...ours.subarray(0, 4 + 3)]);
    expectCode(() => readOpaqueClaims(doubled), 'DEV_BAD_OPAQUE');
  });
});

describe('device commands', () => {
  it('round-trip and decode strictly', () => {
    const secret = new Uint8Array(32).fill(5);
    for (const command of [{ command: 'SET_READY' }, { command: 'GET_STATUS' }, { command: 'SET_PEER_KEY', peerDeviceId: 'ab12', linkSecret: secret }] as const) {
      expect(decodeDeviceCommand(encodeDeviceCommand(command))).toEqual(command);
    }
    const peerKey = encodeDeviceCommand({ command: 'SET_PEER_KEY', peerDeviceId: 'ab12', linkSecret: secret });
    expectCode(() => decodeDeviceCommand(Uint8Array.of(0x01, 0x00)), 'DEV_BAD_COMMAND');
    expectCode(() => decodeDeviceCommand(new Uint8Array(0)), 'DEV_BAD_COMMAND');
    expectCode(() => decodeDeviceCommand(Uint8Array.of(0x09)), 'DEV_BAD_COMMAND');
    expectCode(() => decodeDeviceCommand(peerKey.subarray(0, peerKey.length - 1)), 'DEV_BAD_COMMAND');
    expectCode(() => decodeDeviceCommand(new Uint8Array([...peerKey, 0])), 'DEV_BAD_COMMAND');
    expectCode(() => encodeDeviceCommand({ command: 'SET_PEER_KEY', peerDeviceId: 'AB!', linkSecret: secret }), 'DEV_BAD_COMMAND');
    expectCode(() => encodeDeviceCommand({ command: 'SET_PEER_KEY', peerDeviceId: 'ab', linkSecret: new Uint8Array(8) }), 'DEV_BAD_COMMAND');
    const status = { mode: 'devtools' as const, ready: true, epoch: 7, svn: 3, firmwareVersion: '3.2.0', firmwareDigest: new Uint8Array(48).fill(1) };
    expect(decodeDeviceStatus(encodeDeviceStatus(status))).toEqual(status);
    expectCode(() => decodeDeviceStatus(new Uint8Array([...encodeDeviceStatus(status), 0])), 'DEV_BAD_STATUS');
  });

  it('a malformed command through the session changes nothing', () => {
    const device = makeDevice('gpu');
    const session = hookSession(device);
    expectCode(() => spdmHooksForTest(device).onSecuredCommand(session.sessionId, Uint8Array.of(0x01, 0xff)), 'DEV_BAD_COMMAND');
    expect(device.isReady).toBe(false);
  });
});
