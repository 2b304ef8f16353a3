import fc from 'fast-check';
import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  FINISH_HEADER,
  SecuredDirection,
  SessionTranscript,
  decodeKeyExchangeRsp,
  dheToPoint,
  handshakeSecrets,
  p384SharedSecret,
  sessionIdOf,
  verifyData,
  SpdmAlg,
  SpdmCode,
  SpdmErrorCode,
  buildMeasurementsResponse,
  decodeSpdmError,
  encodeCapabilities,
  encodeGetCertificate,
  encodeGetDigests,
  encodeGetMeasurements,
  encodeGetVersion,
  encodeKeyExchange,
  encodeNegotiateAlgorithms,
  p384KeyPair,
  parseCertificate,
  pointToDhe,
  verifySpdmMeasurements,
} from '../../src/crypto/index.ts';
import { hkdfExpand, hkdfExtract } from '../../src/crypto/spdm-key-schedule.ts';
import { SpdmRefusal, acceptFinish, acceptKeyExchange } from '../../src/accelerator/spdm/responder-session.ts';
import { Prng } from '../../src/sim/prng.ts';
import { expectCode } from '../helpers/errors.ts';
import { makeDevice, plain, relay, requesterFor } from './spdm-helpers.ts';

const CAPS = (1 << 6) | (1 << 7) | (1 << 9);
const SUITE = {
  measurementSpec: SpdmAlg.MEAS_SPEC_DMTF,
  baseAsym: SpdmAlg.BASE_ASYM_ECDSA_P384,
  baseHash: SpdmAlg.BASE_HASH_SHA384,
  tables: { dhe: SpdmAlg.DHE_SECP384R1, aead: SpdmAlg.AEAD_AES256_GCM, reqBaseAsym: 0x80, keySchedule: 1 },
};

/** The SPDM error code of a framed ERROR answer, or null when the answer is not an ERROR. */
function errorOf(framed: Uint8Array): number | null {
  const m = framed.subarray(1);
  return m[1] === SpdmCode.ERROR ? decodeSpdmError(m).code : null;
}

function keyExchangeRequest(seed: number): Uint8Array {
  const random = new Prng(seed, 'ke');
  return encodeKeyExchange({ summaryType: 0, slot: 0, reqSessionId: 7, random: random.bytes(32), dhe: pointToDhe(p384KeyPair(random).publicKey), opaque: new Uint8Array(0) });
}

describe('responder state machine', () => {
  it('refuses requests out of order with UnexpectedRequest, and accepts them in order', () => {
    const { responder } = makeDevice(1);
    expect(errorOf(responder.handle(plain(encodeGetDigests())))).toBe(SpdmErrorCode.UnexpectedRequest);
    expect(errorOf(responder.handle(plain(encodeGetVersion())))).toBeNull();
    expect(errorOf(responder.handle(plain(encodeNegotiateAlgorithms(SUITE))))).toBe(SpdmErrorCode.UnexpectedRequest);
    expect(errorOf(responder.handle(plain(keyExchangeRequest(1))))).toBe(SpdmErrorCode.UnexpectedRequest);
    expect(errorOf(responder.handle(plain(encodeCapabilities(SpdmCode.GET_CAPABILITIES, 0, CAPS))))).toBeNull();
    expect(errorOf(responder.handle(plain(encodeCapabilities(SpdmCode.GET_CAPABILITIES, 0, CAPS))))).toBe(SpdmErrorCode.UnexpectedRequest);
    expect(errorOf(responder.handle(plain(keyExchangeRequest(1))))).toBe(SpdmErrorCode.UnexpectedRequest);
    expect(errorOf(responder.handle(plain(encodeNegotiateAlgorithms(SUITE))))).toBeNull();
    expect(errorOf(responder.handle(plain(encodeGetDigests())))).toBeNull();
    expect(errorOf(responder.handle(plain(keyExchangeRequest(1))))).toBeNull();
  });

  it('FINISH, END_SESSION and commands outside a session get UnexpectedRequest', () => {
    const { responder } = makeDevice(2);
    const requester = requesterFor(2, relay(responder).transport);
    requester.negotiate();
    for (const code of [SpdmCode.FINISH, SpdmCode.END_SESSION, SpdmCode.VENDOR_DEFINED_REQUEST]) {
      expect(errorOf(responder.handle(plain(Uint8Array.of(0x11, code, 0, 0))))).toBe(SpdmErrorCode.UnexpectedRequest);
    }
    // A secured message for a session that does not exist (FINISH before KEY_EXCHANGE).
    const fake = new SecuredDirection({ key: new Uint8Array(32), iv: new Uint8Array(12) }).seal(0x10001, Uint8Array.of(0x11, SpdmCode.FINISH, 0, 0));
    expect(errorOf(responder.handle(Uint8Array.from([0x06, ...fake])))).toBe(SpdmErrorCode.InvalidRequest);
  });

  it('version mismatch, a suite without P-384, unknown codes and bad slots are refused', () => {
    const { responder } = makeDevice(3);
    expect(errorOf(responder.handle(plain(Uint8Array.of(0x11, SpdmCode.GET_VERSION, 0, 0))))).toBe(SpdmErrorCode.VersionMismatch);
    responder.handle(plain(encodeGetVersion()));
    const caps12 = encodeCapabilities(SpdmCode.GET_CAPABILITIES, 0, CAPS);
    caps12[0] = 0x12;
    expect(errorOf(responder.handle(plain(caps12)))).toBe(SpdmErrorCode.VersionMismatch);
    responder.handle(plain(encodeCapabilities(SpdmCode.GET_CAPABILITIES, 0, CAPS)));
    expect(errorOf(responder.handle(plain(encodeNegotiateAlgorithms({ ...SUITE, baseAsym: 0x10 }))))).toBe(SpdmErrorCode.InvalidRequest);
    expect(errorOf(responder.handle(plain(encodeNegotiateAlgorithms(SUITE))))).toBeNull();
    expect(errorOf(responder.handle(plain(Uint8Array.of(0x11, 0xe9, 0, 0))))).toBe(SpdmErrorCode.UnsupportedRequest);
    expect(errorOf(responder.handle(plain(encodeGetCertificate(1, 0, 100))))).toBe(SpdmErrorCode.InvalidRequest);
    expect(errorOf(responder.handle(plain(encodeGetCertificate(0, 60000, 100))))).toBe(SpdmErrorCode.InvalidRequest);
    const badSlot = encodeGetMeasurements({ signatureRequested: true, operation: 0xff, nonce: new Uint8Array(32), slot: 3 });
    expect(errorOf(responder.handle(plain(badSlot)))).toBe(SpdmErrorCode.InvalidRequest);
    expect(errorOf(responder.handle(plain(encodeGetMeasurements({ signatureRequested: false, operation: 9 }))))).toBe(SpdmErrorCode.InvalidRequest);
  });

  it('a refused request leaves the transcript as it was: the session still derives the same keys', () => {
    const clean = makeDevice(4);
    const noisy = makeDevice(4);
    const a = requesterFor(4, relay(clean.responder).transport);
    let junk = true;
    const b = requesterFor(4, (m) => {
      if (junk && m[2] === SpdmCode.KEY_EXCHANGE) {
        junk = false;
        expect(errorOf(noisy.responder.handle(plain(Uint8Array.of(0x11, 0xe1, 0, 0))))).toBe(SpdmErrorCode.UnexpectedRequest);
        expect(errorOf(noisy.responder.handle(plain(Uint8Array.of(0x11, 0xe0, 7))))).toBe(SpdmErrorCode.InvalidRequest);
      }
      return noisy.responder.handle(m);
    });
    for (const r of [a, b]) r.negotiate();
    const leaf = parseCertificate(clean.chainDer[4]!).p384PublicKey!;
    expect(Buffer.from(b.keyExchange(leaf).exportMaster).toString('hex')).toBe(Buffer.from(a.keyExchange(leaf).exportMaster).toString('hex'));
  });

  it('never throws on arbitrary input (plain, secured or unframed)', () => {
    const { responder } = makeDevice(5);
    const requester = requesterFor(5, relay(responder).transport);
    requester.negotiate();
    requester.keyExchange(parseCertificate(makeDevice(5).chainDer[4]!).p384PublicKey!);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.constantFrom(0x05, 0x06, 0x00, 0x11), (body, type) => {
        const out = responder.handle(Uint8Array.from([type, ...body]));
        expect(out[0] === 0x05 || out[0] === 0x06).toBe(true);
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('reset ends established sessions (hook called) and forgets the connection', () => {
    const device = makeDevice(6);
    const requester = requesterFor(6, relay(device.responder).transport);
    requester.negotiate();
    const session = requester.keyExchange(parseCertificate(device.chainDer[4]!).p384PublicKey!);
    device.responder.reset();
    expect(device.log.ended).toEqual([session.sessionId]);
    expect(errorOf(device.responder.handle(plain(encodeGetDigests())))).toBe(SpdmErrorCode.UnexpectedRequest);
    expectCode(() => session.command(Uint8Array.of(1)), 'SPDM_ERROR_RESPONSE');
    expect(session.isOpen).toBe(false);
  });
});

describe('secured messages', () => {
  function established(seed: number) {
    const device = makeDevice(seed);
    const link = relay(device.responder);
    const requester = requesterFor(seed, link.transport);
    requester.negotiate();
    const session = requester.keyExchange(parseCertificate(device.chainDer[4]!).p384PublicKey!);
    return { device, link, session };
  }

  it('a replayed command is rejected (DecryptError) and changes nothing: the session goes on', () => {
    const { device, link, session } = established(7);
    session.command(Uint8Array.of(1));
    const recorded = link.frames[link.frames.length - 1]!.request;
    expect(errorOf(device.responder.handle(recorded))).toBe(SpdmErrorCode.DecryptError);
    expect(device.log.commands).toHaveLength(1);
    expect([...session.command(Uint8Array.of(2, 3))]).toEqual([3, 2]);
    expect(device.log.commands).toHaveLength(2);
  });

  it('a command held back and delivered after a later one (reordering) fails', () => {
    const device = makeDevice(8);
    let hold = false;
    let held: Uint8Array | null = null;
    const requester = requesterFor(8, (m) => {
      if (hold && m[0] === 0x06 && held === null) {
        held = m;
        return Uint8Array.of(0x05, 0x11, 0x7f, 0x03, 0); // the relay fakes Busy
      }
      return device.responder.handle(m);
    });
    requester.negotiate();
    const session = requester.keyExchange(parseCertificate(device.chainDer[4]!).p384PublicKey!);
    hold = true;
    expectCode(() => session.command(Uint8Array.of(1)), 'SPDM_ERROR_RESPONSE');
    expect(errorOf(device.responder.handle(held!))).toBeNull(); // delivered late it is still the next in line…
    expect(device.log.commands).toHaveLength(1);
    expectCode(() => session.command(Uint8Array.of(2)), 'SPDM_SESSION_CLOSED'); // …but the requester gave the session up
  });

  it('a flipped byte in a response is caught as SPDM_DECRYPT_FAILED and closes the requester side', () => {
    const device = makeDevice(9);
    let flip = false;
    const requester = requesterFor(9, (m) => {
      const out = device.responder.handle(m);
      if (!flip) return out;
      const bad = out.slice();
      bad[bad.length - 20] = bad[bad.length - 20]! ^ 0x80;
      return bad;
    });
    requester.negotiate();
    const session = requester.keyExchange(parseCertificate(device.chainDer[4]!).p384PublicKey!);
    flip = true;
    expectCode(() => session.command(Uint8Array.of(5)), 'SPDM_DECRYPT_FAILED');
    expectCode(() => session.command(Uint8Array.of(5)), 'SPDM_SESSION_CLOSED');
  });

  it('a tampered FINISH body fails its tag and never establishes the session', () => {
    const device = makeDevice(10);
    const requester = requesterFor(10, (m) => {
      if (m[0] !== 0x06) return device.responder.handle(m);
      const bad = m.slice();
      bad[10] = bad[10]! ^ 0x01; // inside the AEAD body: the tag fails first
      return device.responder.handle(bad);
    });
    requester.negotiate();
    expectCode(() => requester.keyExchange(parseCertificate(device.chainDer[4]!).p384PublicKey!), 'SPDM_ERROR_RESPONSE');
    expect(device.log.established).toHaveLength(0);
  });

  it('direction unit: sequence numbers advance only on success; another session id or sequence fails', () => {
    const keys = { key: new Uint8Array(32).fill(1), iv: new Uint8Array(12).fill(2) };
    const tx = new SecuredDirection(keys);
    const rx = new SecuredDirection(keys);
    const m0 = tx.seal(5, Uint8Array.of(0x11, 1, 2, 3));
    const m1 = tx.seal(5, Uint8Array.of(0x11, 4, 5, 6));
    expectCode(() => rx.open(5, m1), 'SPDM_DECRYPT_FAILED');
    expectCode(() => rx.open(6, m0), 'SPDM_MALFORMED');
    expect([...rx.open(5, m0)]).toEqual([0x11, 1, 2, 3]);
    expectCode(() => rx.open(5, m0), 'SPDM_DECRYPT_FAILED');
    expect(rx.sequence).toBe(1);
    expect([...rx.open(5, m1)]).toEqual([0x11, 4, 5, 6]);
  });
});

describe('FINISH verify data at the responder', () => {
  it('a FINISH with the wrong RequesterVerifyData is refused (DecryptError); the right one establishes', () => {
    const random = new Prng(20, 'unit');
    const leaf = p384KeyPair(random);
    const eph = p384KeyPair(random);
    const vca = Uint8Array.of(1, 2, 3);
    const chainHash = new Uint8Array(48).fill(5);
    const request = encodeKeyExchange({ summaryType: 0, slot: 0, reqSessionId: 1, random: random.bytes(32), dhe: pointToDhe(eph.publicKey), opaque: new Uint8Array(0) });
    const made = () =>
      acceptKeyExchange({ random: new Prng(21, 'rsp'), request, vca, chainHash, leafPrivateKey: leaf.privateKey, blocks: [], isSessionIdFree: () => true, sessionIdOf });
    const { response, session } = made();
    const rsp = decodeKeyExchangeRsp(response, false);
    const transcript = new SessionTranscript(vca, chainHash).append(request);
    const th1 = transcript.hashWith(rsp.partial, rsp.signature);
    const hs = handshakeSecrets(p384SharedSecret(eph.privateKey, dheToPoint(rsp.dhe)), th1);
    transcript.append(response);
    const head = FINISH_HEADER();
    const wrong = Uint8Array.from([...head, ...new Uint8Array(48)]);
    let refusal: unknown;
    try {
      acceptFinish(session, wrong);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(SpdmRefusal);
    expect((refusal as SpdmRefusal).errorCode).toBe(SpdmErrorCode.DecryptError);
    expect(session.phase).toBe('handshake');
    const fresh = made().session;
    acceptFinish(fresh, Uint8Array.from([...head, ...verifyData(hs.requestFinishedKey, transcript.hashWith(head))]));
    expect(fresh.phase).toBe('established');
    expect(fresh.exportMaster!.length).toBe(48);
  });
});

describe('crypto building blocks', () => {
  it('HKDF extract/expand agree with node\'s HKDF-SHA384', () => {
    const ikm = new Uint8Array(48).fill(3);
    const salt = new Uint8Array(48).fill(4);
    const info = new TextEncoder().encode('spdm1.1 key');
    const ours = hkdfExpand(hkdfExtract(salt, ikm), info, 100);
    expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(hkdfSync('sha384', ikm, salt, info, 100)).toString('hex'));
  });

  it('the measurements builder produces what the existing verifier accepts, and nothing else', () => {
    const key = p384KeyPair(new Prng(1, 'k'));
    const request = { signatureRequested: true, operation: 0xff, nonce: new Uint8Array(32).fill(9), slot: 0 };
    const requestBytes = encodeGetMeasurements(request);
    const blocks = [{ index: 1, valueType: 1, digest: new Uint8Array(48).fill(1) }];
    const response = buildMeasurementsResponse({ requestBytes, request, blocks, totalIndices: 1, responderNonce: new Uint8Array(32), opaque: new Uint8Array(0), signingKey: key.privateKey });
    const report = Uint8Array.from([...requestBytes, ...response]);
    expect(verifySpdmMeasurements(report, key.publicKey).measurements).toHaveLength(1);
    const bad = report.slice();
    bad[60] = bad[60]! ^ 1; // inside the first digest
    expectCode(() => verifySpdmMeasurements(bad, key.publicKey), 'SPDM_BAD_SIGNATURE');
  });
});
