import { describe, expect, it } from 'vitest';
import { AttestationVerifier, fromHex, toHex, zeroPcr } from '../../src/crypto/index.ts';
import { FirmwareSigner, NitroController, encodeFirmware, parseFirmware } from '../../src/hypervisor/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { errorCode, expectCode } from '../helpers/errors.ts';

const INSTANCE = 'i-0123456789abcdef0';

function controller(signedFirmwareOnly = true) {
  const sim = new Simulator({ seed: 5 });
  const signer = new FirmwareSigner(sim.prng('test.firmware-key'));
  return { sim, signer, nitro: new NitroController(sim, 'us-east-1', { signedFirmwareOnly, firmwareSigner: signer }) };
}

function debugBuildOf(image: Uint8Array): Uint8Array {
  const { manifest } = parseFirmware(image);
  return encodeFirmware({ ...manifest, attestationService: 'debug' }, new Uint8Array(0));
}

describe('card firmware and measured boot', () => {
  it('boots a newer production build signed by the platform key, and offers no debug console', () => {
    const { nitro, signer } = controller();
    const booted = nitro.deployFirmware(signer.buildProduction('2026.02.0'));
    expect(booted.manifest).toEqual({ name: 'nitro-card', version: '2026.02.0', attestationService: 'production' });
    expect(nitro.firmware.measurement).toBe(booted.measurement);
    expect(nitro.debugAttestationConsole).toBeUndefined();
  });

  it('refuses an unsigned debug build, a re-signed one, and one flipped byte, and keeps the running firmware', () => {
    const { nitro, signer, sim } = controller();
    const running = nitro.firmware.measurement;
    const signed = signer.buildProduction('2026.02.0');
    const flipped = signed.slice();
    flipped[12]! ^= 0x01; // inside the manifest: still JSON? either way it must not boot
    const foreign = new FirmwareSigner(sim.prng('test.someone-else')).buildProduction('2026.02.0');
    const strangerDebug = encodeFirmware({ name: 'nitro-card', version: 'x', attestationService: 'debug' }, parseFirmware(foreign).signature);
    expectCode(() => nitro.deployFirmware(debugBuildOf(nitro.firmwareImage)), 'HV_FIRMWARE_UNSIGNED');
    expectCode(() => nitro.deployFirmware(strangerDebug), 'HV_FIRMWARE_UNSIGNED');
    expectCode(() => nitro.deployFirmware(foreign), 'HV_FIRMWARE_UNSIGNED');
    expect(['HV_FIRMWARE_UNSIGNED', 'HV_FIRMWARE_MALFORMED']).toContain(errorCode(() => nitro.deployFirmware(flipped)));
    expect(nitro.firmware.measurement).toBe(running);
    expect(nitro.debugAttestationConsole).toBeUndefined();
  });

  it('parses strictly: truncated, extended and garbled images are typed errors', () => {
    const { nitro } = controller();
    const image = nitro.firmwareImage;
    for (const bad of [image.subarray(0, image.length - 1), Uint8Array.of(...image, 0), image.subarray(0, 5), new Uint8Array(100)]) {
      expectCode(() => parseFirmware(bad), 'HV_FIRMWARE_MALFORMED');
    }
    const notJson = image.slice();
    notJson[9] = 0x7b + 1;
    expectCode(() => parseFirmware(notJson), 'HV_FIRMWARE_MALFORMED');
  });

  it('on a host built without the check, the debug build boots and signs any PCRs under the genuine chain', () => {
    const { nitro, sim } = controller(false);
    nitro.deployFirmware(debugBuildOf(nitro.firmwareImage));
    const console = nitro.debugAttestationConsole;
    expect(console).toBeDefined();
    const wanted = fromHex('ab'.repeat(48));
    const document = console!.forge(INSTANCE, { pcrs: new Map([[0, wanted], [1, zeroPcr()]]), publicKey: null, userData: null, nonce: null });
    const verified = new AttestationVerifier(nitro.rootCertificateDer).verify(document, { atMs: sim.nowMs, maxAgeMs: 1000 });
    expect(toHex(verified.doc.pcrs.get(0)!)).toBe(toHex(wanted));
  });

  it("the physical attack's stand-in forges documents that verify against the root (harness only)", () => {
    const { nitro, sim } = controller();
    const forged = nitro.extractSigningKeyForPhysicalAttack().forge(INSTANCE, { pcrs: new Map([[0, zeroPcr()]]), publicKey: null, userData: null, nonce: Uint8Array.of(1, 2, 3) });
    const verified = new AttestationVerifier(nitro.rootCertificateDer).verify(forged, { atMs: sim.nowMs, maxAgeMs: 1000 });
    expect(verified.doc.nonce).toEqual(Uint8Array.of(1, 2, 3));
  });
});
