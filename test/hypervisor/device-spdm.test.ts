import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  LockstepChannel,
  createSpdmRequester,
  encodeDeviceCommand,
  verifyDeviceEndorsement,
} from '../../src/accelerator/index.ts';
import { fromHex, indexOfBytes, parseCertificate, toHex, verifySpdmMeasurements } from '../../src/crypto/index.ts';
import { emuErrorFrom, expectCode } from '../helpers/errors.ts';
import { CANARY, deviceHost } from './device-helpers.ts';

/** The enclave's side of a session over its port (what the driver does, by hand, so each step can be watched). */
function openSession(setup: ReturnType<typeof deviceHost>) {
  const { host, enclave, device, sim } = setup;
  host.assignDevice(device.deviceId, enclave.enclaveId);
  const port = host.enclaveDevicePort(enclave.enclaveId, device.deviceId);
  const requester = createSpdmRequester(sim.prng('test.enclave-spdm'), port.spdm);
  requester.negotiate();
  const chain = requester.certificateChain();
  const leafKey = parseCertificate(chain.at(-1)!).p384PublicKey!;
  return { port, requester, chain, leafKey };
}

describe('SPDM through the host relay', () => {
  it('the parent observes the exchange: public certificates, never the session secret', () => {
    const setup = deviceHost();
    const relay = setup.host.deviceMailboxRelay(setup.device.deviceId);
    const seen: Uint8Array[] = [];
    relay.observe = (m) => seen.push(m.bytes);
    const { requester, chain, leafKey } = openSession(setup);
    const nonce = new Uint8Array(32).fill(7);
    verifySpdmMeasurements(requester.measurements(nonce), leafKey, { expectedNonce: nonce });
    const session = requester.keyExchange(leafKey);
    session.command(encodeDeviceCommand({ command: 'SET_READY' }));
    expect(setup.device.isReady).toBe(true);
    const all = Buffer.concat(seen);
    // The chain travels in 1 KiB portions; the root fits in the first one whole.
    expect(indexOfBytes(all, chain[0]!)).toBeGreaterThan(-1);
    expect(indexOfBytes(all, session.exportMaster)).toBe(-1);
  });

  it('a rewritten KEY_EXCHANGE response fails the requester with a typed error, and the device stays not ready', () => {
    const setup = deviceHost();
    const relay = setup.host.deviceMailboxRelay(setup.device.deviceId);
    const { requester, leafKey } = openSession(setup);
    // Transport byte 0x05 (SPDM), version 0x11, then KEY_EXCHANGE_RSP (0x64): flip a byte of its random.
    relay.rewrite = (direction, bytes) => {
      if (direction !== 'to-enclave' || bytes[0] !== 0x05 || bytes[2] !== 0x64) return bytes;
      const out = bytes.slice();
      out[14] = out[14]! ^ 0x01;
      return out;
    };
    const error = emuErrorFrom(() => requester.keyExchange(leafKey));
    expect(error.code).toMatch(/^SPDM_/);
    expect(setup.device.isReady).toBe(false);
  });

  it('a rewritten MEASUREMENTS response fails the signature check', () => {
    const setup = deviceHost();
    const relay = setup.host.deviceMailboxRelay(setup.device.deviceId);
    const { requester, leafKey } = openSession(setup);
    relay.rewrite = (direction, bytes) => {
      // MEASUREMENTS (0x60): byte 21 is inside the first block's digest.
      if (direction !== 'to-enclave' || bytes[0] !== 0x05 || bytes[2] !== 0x60) return bytes;
      const out = bytes.slice();
      out[21] = out[21]! ^ 0x80;
      return out;
    };
    const nonce = new Uint8Array(32).fill(9);
    expect(emuErrorFrom(() => verifySpdmMeasurements(requester.measurements(nonce), leafKey, { expectedNonce: nonce })).code).toMatch(/^SPDM_/);
  });
});

describe('encrypted transfers seen from the parent (PA-17)', () => {
  it('the staging buffers hold only ciphertext of what the enclave moves', () => {
    const setup = deviceHost();
    const { requester, leafKey, port } = openSession(setup);
    const session = requester.keyExchange(leafKey);
    session.command(encodeDeviceCommand({ command: 'SET_READY' }));
    const h2d = new LockstepChannel(session.exportMaster, 'h2d-data', DEFAULT_LIMITS);
    const d2h = new LockstepChannel(session.exportMaster, 'd2h-data', DEFAULT_LIMITS);
    const view = setup.host.parentDeviceView(setup.parent.instanceId, setup.device.deviceId);

    port.staging.write(0, h2d.seal(CANARY));
    const inbound = view.staging.read(0);
    port.submit({ id: 1, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: CANARY.length });
    port.submit({ id: 2, op: 'encrypt', stagingSlot: 1, deviceAddress: 0, length: CANARY.length });
    port.doorbell();
    expect(port.poll().map((c) => c.ok)).toEqual([true, true]);
    const outbound = view.staging.read(1);
    expect(d2h.open(port.staging.read(1))).toEqual(CANARY);
    for (const seen of [inbound, outbound, view.mgmtRead(0, CANARY.length)]) {
      expect(indexOfBytes(seen, CANARY)).toBe(-1);
    }
    expect(inbound.length).toBe(CANARY.length + 16);
  });
});

describe('DEV-05: a device swapped in after attestation', () => {
  it('the replacement answers in the same slot but holds no session: nothing runs, SET_READY fails', () => {
    const setup = deviceHost();
    const { requester, leafKey, port } = openSession(setup);
    const session = requester.keyExchange(leafKey);
    const replacement = setup.makeDevice(5);
    setup.host.swapDevice(setup.device.deviceId, replacement);
    expect(setup.host.effects.map((e) => e.action)).toContain('devices.swap');
    expect(emuErrorFrom(() => session.command(encodeDeviceCommand({ command: 'SET_READY' }))).code).toMatch(/^SPDM_|^DEV_/);
    expect(replacement.isReady).toBe(false);
    expectCode(() => port.submit({ id: 1, op: 'decrypt', stagingSlot: 0, deviceAddress: 0, length: 16 }), 'ACCEL_NOT_READY');
  });
});

describe('the Nitro controller endorses a platform-mediated device (ASSUMED design)', () => {
  it('over its private path, chained to the Nitro root, bound to the nonce, claims from verified evidence', () => {
    const setup = deviceHost({ flavour: 'trainium' });
    const { host, enclave, device, sim } = setup;
    host.assignDevice(device.deviceId, enclave.enclaveId);
    const port = host.enclaveDevicePort(enclave.enclaveId, device.deviceId);
    const relay = host.deviceMailboxRelay(device.deviceId);
    const nonce = fromHex('00112233445566778899aabbccddeeff');
    const bytes = port.endorsement!(nonce);
    expect(relay.history).toHaveLength(0);
    const claims = verifyDeviceEndorsement(bytes, { nitroRootDer: host.nitro.rootCertificateDer, atMs: sim.nowMs, expectedNonce: nonce });
    expect(claims).toMatchObject({ deviceId: device.deviceId, flavour: 'trainium', mode: 'confidential', svn: device.firmware().svn, assumed: true });
    expect(toHex(claims.fwid)).toBe(device.firmware().digestHex);
    expectCode(() => verifyDeviceEndorsement(bytes, { nitroRootDer: host.nitro.rootCertificateDer, atMs: sim.nowMs, expectedNonce: new Uint8Array(16) }), 'DEVICE_ENDORSEMENT_NONCE');
  });

  it('reports the mode it measured: a devtools device is endorsed as devtools (the enclave policy refuses it)', () => {
    const setup = deviceHost({ flavour: 'trainium', mode: 'devtools' });
    const { host, enclave, device, sim } = setup;
    host.assignDevice(device.deviceId, enclave.enclaveId);
    const nonce = new Uint8Array(32).fill(1);
    const bytes = host.enclaveDevicePort(enclave.enclaveId, device.deviceId).endorsement!(nonce);
    expect(verifyDeviceEndorsement(bytes, { nitroRootDer: host.nitro.rootCertificateDer, atMs: sim.nowMs, expectedNonce: nonce }).mode).toBe('devtools');
  });

  it('refuses a device whose chain does not lead to an installed vendor root', () => {
    const setup = deviceHost({ flavour: 'trainium', seed: 12 });
    const { host, enclave, sim } = setup;
    const otherVendor = deviceHost({ flavour: 'trainium', seed: 13 });
    // A device of a vendor the platform never installed, slotted in place of the real one.
    host.assignDevice(setup.device.deviceId, enclave.enclaveId);
    host.swapDevice(setup.device.deviceId, otherVendor.device);
    const port = host.enclaveDevicePort(enclave.enclaveId, setup.device.deviceId);
    const error = expectCode(() => port.endorsement!(new Uint8Array(32)), 'HV_DEVICE_EVIDENCE_REJECTED');
    expect(error.details).toMatchObject({ cause: 'CHAIN_UNTRUSTED_ROOT' });
  });
});
