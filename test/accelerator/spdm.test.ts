import { describe, expect, it } from 'vitest';
import {
  SpdmCode,
  parseCertificate,
  readDiceTcbInfo,
  sha384,
  toHex,
  verifyCertificateChain,
  verifySpdmMeasurements,
} from '../../src/crypto/index.ts';
import { emuErrorFrom, expectCode } from '../helpers/errors.ts';
import { AT_MS, makeDevice, relay, requesterFor } from './spdm-helpers.ts';
import { buildCertChain, p384KeyPair, splitCertChain } from '../../src/crypto/index.ts';
import { Prng } from '../../src/sim/prng.ts';

const nonce = new Uint8Array(32).fill(0x42);

function fullExchange(seed: number) {
  const device = makeDevice(seed);
  const link = relay(device.responder);
  const requester = requesterFor(seed, link.transport);
  requester.negotiate();
  const chain = requester.certificateChain();
  const report = requester.measurements(nonce);
  const leafKey = parseCertificate(chain[chain.length - 1]!).p384PublicKey!;
  const session = requester.keyExchange(leafKey);
  return { device, link, requester, chain, report, leafKey, session };
}

describe('SPDM 1.1 requester ↔ responder', () => {
  it('negotiates, fetches a chain that verifies to the vendor root, a report that verifies with the leaf, and a session', () => {
    const { device, chain, report, leafKey, session } = fullExchange(1);
    expect(chain.map(toHex)).toEqual(device.chainDer.map(toHex));
    const parsed = chain.map((d) => parseCertificate(d));
    verifyCertificateChain(parsed.slice(1).reverse(), parsed[0]!, AT_MS);
    expect(readDiceTcbInfo(chain[4]!)!.svn).toBe(2);
    const v = verifySpdmMeasurements(report, leafKey, {
      expectedNonce: nonce,
      reference: new Map(device.measurements.map((m) => [m.index, toHex(m.digest)])),
    });
    expect(v.measurements.every((m) => m.verdict === 'match')).toBe(true);
    expect(v.transcript.response.opaque.length).toBe(6);
    // Both ends hold the same export master, and the device learned it only at FINISH.
    expect(device.log.established).toHaveLength(1);
    expect(device.log.established[0]!.sessionId).toBe(session.sessionId);
    expect(toHex(device.log.established[0]!.exportMaster)).toBe(toHex(session.exportMaster));
    expect(session.exportMaster.length).toBe(48);
  });

  it('carries commands both ways inside the session, device errors come back typed, END_SESSION ends it', () => {
    const { device, session } = fullExchange(2);
    expect([...session.command(Uint8Array.of(1, 2, 3))]).toEqual([3, 2, 1]);
    const error = expectCode(() => session.command(Uint8Array.of(0xee)), 'SPDM_ERROR_RESPONSE');
    expect(error.details).toMatchObject({ errorCode: 0xff, deviceCode: 'DEV_NOT_READY' });
    expect([...session.command(Uint8Array.of(9, 8))]).toEqual([8, 9]); // still in step after a refusal
    session.end();
    expect(device.log.ended).toEqual([session.sessionId]);
    expectCode(() => session.command(Uint8Array.of(1)), 'SPDM_SESSION_CLOSED');
    session.end(); // idempotent
  });

  it('is deterministic: the same seeds give the same bytes of the whole transcript', () => {
    const a = fullExchange(7);
    const b = fullExchange(7);
    const c = fullExchange(8);
    const bytes = (x: typeof a) => x.link.frames.map((f) => toHex(f.request) + toHex(f.response)).join('|');
    expect(bytes(a)).toBe(bytes(b));
    expect(toHex(a.session.exportMaster)).toBe(toHex(b.session.exportMaster));
    expect(bytes(a)).not.toBe(bytes(c));
  });

  it('the plain host sees no command or reply bytes in the secured frames', () => {
    const { link, session } = fullExchange(3);
    const secret = Uint8Array.from({ length: 24 }, (_, i) => 0xa0 + i);
    session.command(secret);
    const last = link.frames[link.frames.length - 1]!;
    expect(last.request[0]).toBe(0x06);
    expect(toHex(last.request)).not.toContain(toHex(secret));
    expect(toHex(last.response)).not.toContain(toHex(secret.slice().reverse()));
  });
});

describe('a relay in the middle', () => {
  /** Offset of KEY_EXCHANGE_RSP fields inside a framed response: 1 frame byte + 40 (header, ids, random). */
  const DHE_AT = 1 + 40;

  function attempt(rewriteResponse: (m: Uint8Array) => Uint8Array) {
    const device = makeDevice(4);
    const link = relay(device.responder, {
      response: (m) => (m[0] === 0x05 && m[2] === SpdmCode.KEY_EXCHANGE_RSP ? rewriteResponse(m) : m),
    });
    const requester = requesterFor(4, link.transport);
    requester.negotiate();
    const chain = requester.certificateChain();
    return { device, run: () => requester.keyExchange(parseCertificate(chain[chain.length - 1]!).p384PublicKey!) };
  }

  it('negative control: an honest relay gets a session', () => {
    expect(attempt((m) => m).run().exportMaster.length).toBe(48);
  });

  it('rewriting the responder DHE public key is caught by the signature', () => {
    const { run, device } = attempt((m) => {
      const out = m.slice();
      out[DHE_AT + 10] = out[DHE_AT + 10]! ^ 0x01;
      return out;
    });
    expectCode(run, 'SPDM_BAD_SIGNATURE');
    expect(device.log.established).toHaveLength(0);
  });

  it('every byte of KEY_EXCHANGE_RSP (after the code) is covered: signature, verify data or framing', () => {
    const device = makeDevice(5);
    let flipAt = -1;
    let rspLength = 0;
    const link = relay(device.responder, {
      response: (m) => {
        if (m[0] !== 0x05 || m[2] !== SpdmCode.KEY_EXCHANGE_RSP) return m;
        rspLength = m.length;
        if (flipAt < 0) return m;
        const out = m.slice();
        out[flipAt] = out[flipAt]! ^ 0x01;
        return out;
      },
    });
    const r = requesterFor(5, link.transport);
    r.negotiate();
    r.certificateChain();
    const leaf = parseCertificate(device.chainDer[4]!).p384PublicKey!;
    r.keyExchange(leaf).end(); // negative control: untouched, it works
    const codes = new Set<string>();
    // Byte 0 is the frame type, 1 the version, 2 the code: from 3 on, every byte of the response.
    for (flipAt = 3; flipAt < rspLength; flipAt++) {
      const code = emuErrorFrom(() => r.keyExchange(leaf)).code;
      expect(code, `byte ${flipAt}`).toMatch(/^SPDM_(BAD_SIGNATURE|BAD_VERIFY_DATA|MALFORMED|MEASUREMENT_SUMMARY_MISMATCH|UNSUPPORTED_ALGORITHM)$/);
      codes.add(code);
    }
    expect(device.log.established).toHaveLength(1);
    expect(codes.has('SPDM_BAD_SIGNATURE')).toBe(true);
    expect(codes.has('SPDM_BAD_VERIFY_DATA')).toBe(true);
  });

  it('rewriting the requester DHE key in KEY_EXCHANGE (a classic MITM) fails the transcript signature', () => {
    const device = makeDevice(15);
    const link = relay(device.responder, {
      request: (m) => {
        if (m[0] !== 0x05 || m[2] !== SpdmCode.KEY_EXCHANGE) return m;
        // The host substitutes its own (valid) ephemeral key, hoping to share a secret with the device.
        const out = m.slice();
        out.set(p384KeyPair(new Prng(1, 'host')).publicKey.subarray(1), 1 + 40);
        return out;
      },
    });
    const r = requesterFor(15, link.transport);
    r.negotiate();
    const chain = r.certificateChain();
    expectCode(() => r.keyExchange(parseCertificate(chain[4]!).p384PublicKey!), 'SPDM_BAD_SIGNATURE');
    expect(device.log.established).toHaveLength(0);
  });

  it('a leaf key from another device fails the signature', () => {
    const other = makeDevice(6);
    const device = makeDevice(4);
    const link = relay(device.responder);
    const requester = requesterFor(4, link.transport);
    requester.negotiate();
    requester.certificateChain();
    expectCode(() => requester.keyExchange(parseCertificate(other.chainDer[4]!).p384PublicKey!), 'SPDM_BAD_SIGNATURE');
  });

  it('a chain whose bytes differ from the digest is refused', () => {
    const device = makeDevice(9);
    const link = relay(device.responder, {
      response: (m) => {
        if (m[2] !== SpdmCode.CERTIFICATE) return m;
        const out = m.slice();
        out[out.length - 3] = out[out.length - 3]! ^ 0x01;
        return out;
      },
    });
    const requester = requesterFor(9, link.transport);
    requester.negotiate();
    expectCode(() => requester.certificateChain(), 'SPDM_CHAIN_DIGEST_MISMATCH');
  });

  it('an ALGORITHMS answer rewritten to another suite is refused', () => {
    const device = makeDevice(10);
    const link = relay(device.responder, {
      response: (m) => {
        if (m[2] !== SpdmCode.ALGORITHMS) return m;
        const out = m.slice();
        out[1 + 12] = 0x10; // BaseAsymSel: ECDSA P-256 instead of P-384
        return out;
      },
    });
    expectCode(() => requesterFor(10, link.transport).negotiate(), 'SPDM_UNSUPPORTED_ALGORITHM');
  });

  it('a device swapped in after attestation cannot finish the handshake with the attested leaf key', () => {
    const a = makeDevice(11);
    const b = makeDevice(11, 'fw v2');
    let target = a.responder;
    const requester = requesterFor(11, (m) => target.handle(m));
    requester.negotiate();
    const chain = requester.certificateChain();
    requester.measurements(nonce);
    // The host brings b to the same connection state itself (VCA bytes are the same for any device), then swaps.
    const hostSide = requesterFor(99, (m) => b.responder.handle(m));
    hostSide.negotiate();
    target = b.responder;
    expectCode(() => requester.keyExchange(parseCertificate(chain[4]!).p384PublicKey!), 'SPDM_BAD_SIGNATURE');
    expect(b.log.established).toHaveLength(0);
  });

  it('measurements that changed between the report and the key exchange are caught by the summary hash', () => {
    const device = makeDevice(12);
    const requester = requesterFor(12, relay(device.responder).transport);
    requester.negotiate();
    const chain = requester.certificateChain();
    requester.measurements(nonce);
    device.measurements[2] = { index: 3, valueType: 0x02, digest: sha384(new TextEncoder().encode('mode devtools')) };
    expectCode(() => requester.keyExchange(parseCertificate(chain[4]!).p384PublicKey!), 'SPDM_MEASUREMENT_SUMMARY_MISMATCH');
    // Negative control: a fresh report of the current state binds again.
    requester.measurements(nonce);
    expect(requester.keyExchange(parseCertificate(chain[4]!).p384PublicKey!).exportMaster.length).toBe(48);
  });

  it('a VERSION without 1.1 or CAPABILITIES without KEY_EX are refused by the requester', () => {
    const noV11 = relay(makeDevice(13).responder, {
      response: (m) => (m[2] === SpdmCode.VERSION ? Uint8Array.from([...m.subarray(0, m.length - 2), 0x00, 0x12]) : m),
    });
    expectCode(() => requesterFor(13, noV11.transport).negotiate(), 'SPDM_UNSUPPORTED_VERSION');
    const noKeyEx = relay(makeDevice(13).responder, {
      response: (m) => {
        if (m[2] !== SpdmCode.CAPABILITIES) return m;
        const out = m.slice();
        out[1 + 9] = out[1 + 9]! & ~0x02; // flags bit 9 (KEY_EX) lives in the second flags byte
        return out;
      },
    });
    expectCode(() => requesterFor(13, noKeyEx.transport).negotiate(), 'SPDM_MISSING_CAPABILITY');
  });

  it('the chain travels in bounded portions, and a chain whose RootHash lies is refused', () => {
    const device = makeDevice(14);
    const link = relay(device.responder);
    const requester = requesterFor(14, link.transport);
    requester.negotiate();
    requester.certificateChain();
    const portions = link.frames.filter((f) => f.response[2] === SpdmCode.CERTIFICATE).map((f) => f.response.length - 9);
    expect(portions.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...portions)).toBeLessThanOrEqual(1024);
    // The chain buffer itself: a RootHash that is not the first certificate's, a wrong Length.
    const buffer = buildCertChain(device.chainDer);
    expect(splitCertChain(buffer).map(toHex)).toEqual(device.chainDer.map(toHex));
    const badRoot = buffer.slice();
    badRoot[10] = badRoot[10]! ^ 0x01;
    expectCode(() => splitCertChain(badRoot), 'SPDM_CHAIN_DIGEST_MISMATCH');
    const badLength = buffer.slice();
    badLength[0] = badLength[0]! ^ 0x01;
    expectCode(() => splitCertChain(badLength), 'SPDM_MALFORMED');
  });
});
