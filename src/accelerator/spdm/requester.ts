// The SPDM 1.1 requester an enclave driver (or the Nitro controller) runs. It accepts exactly one suite (1.1,
// ECDSA P-384, SHA-384, secp384r1, AES-256-GCM), checks every response it can check, and throws typed errors.
import {
  type RandomSource,
  type SpdmMeasurementsTranscript,
  SPDM_FRAME_PLAIN,
  SPDM_FRAME_SECURED,
  SPDM_NONCE_BYTES,
  SUMMARY_ALL,
  SecuredDirection,
  SessionTranscript,
  SpdmAlg,
  SpdmCap,
  SpdmCode,
  concatBytes,
  dataSecrets,
  decodeAlgorithms,
  decodeCapabilities,
  decodeCertificate,
  decodeDigests,
  decodeKeyExchangeRsp,
  decodeSpdmBare,
  decodeVersion,
  dheToPoint,
  encodeCapabilities,
  encodeGetCertificate,
  encodeGetDigests,
  encodeGetMeasurements,
  encodeGetVersion,
  encodeKeyExchange,
  encodeNegotiateAlgorithms,
  equalBytes,
  FINISH_HEADER,
  handshakeSecrets,
  isSpdmError,
  measurementSummaryHash,
  p384KeyPair,
  p384SharedSecret,
  p384Verify,
  parseSpdmMeasurements,
  pointToDhe,
  sessionIdOf,
  sha384,
  spdmFrame,
  splitCertChain,
  verifyData,
  verifyDataMatches,
  wipe,
} from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import type { SpdmRequester, SpdmTransport } from './index.ts';
import { errorResponse } from './requester-errors.ts';
import { RequesterSession } from './requester-session.ts';

export const REQUESTER_CAPABILITIES = SpdmCap.ENCRYPT | SpdmCap.MAC | SpdmCap.KEY_EX;
const RESPONDER_CAPABILITIES_NEEDED = SpdmCap.CERT | SpdmCap.MEAS_SIG | SpdmCap.ENCRYPT | SpdmCap.MAC | SpdmCap.KEY_EX;
export const CERT_REQUEST_BYTES = 1024;
/** A 65535-byte chain in portions of at least 128 bytes; a responder dribbling smaller portions is refused. */
const CERT_PORTIONS_MAX = 512;

const OUR_SUITE = {
  measurementSpec: SpdmAlg.MEAS_SPEC_DMTF,
  baseAsym: SpdmAlg.BASE_ASYM_ECDSA_P384,
  baseHash: SpdmAlg.BASE_HASH_SHA384,
  tables: {
    dhe: SpdmAlg.DHE_SECP384R1,
    aead: SpdmAlg.AEAD_AES256_GCM,
    reqBaseAsym: SpdmAlg.REQ_ASYM_ECDSA_P384,
    keySchedule: SpdmAlg.KEY_SCHEDULE_SPDM,
  },
};

export class SpdmRequesterMachine implements SpdmRequester {
  readonly #random: RandomSource;
  readonly #transport: SpdmTransport;
  #vca: Uint8Array | null = null;
  #chainHash: Uint8Array | null = null;
  #lastReport: SpdmMeasurementsTranscript | null = null;

  constructor(random: RandomSource, transport: SpdmTransport) {
    this.#random = random;
    this.#transport = transport;
  }

  /** One plain request; the response must carry `expected` (an ERROR becomes SPDM_ERROR_RESPONSE). */
  #exchange(request: Uint8Array, expected: number, what: string): Uint8Array {
    const raw = this.#transport(spdmFrame(SPDM_FRAME_PLAIN, request));
    if (!(raw instanceof Uint8Array) || raw.length < 5 || raw[0] !== SPDM_FRAME_PLAIN) {
      throw new EmuError('SPDM_MALFORMED', `${what}: the response is not a plain SPDM message`);
    }
    const response = raw.slice(1);
    if (isSpdmError(response)) throw errorResponse(response, what);
    if (response[1] !== expected) throw new EmuError('SPDM_MALFORMED', `${what}: unexpected response code 0x${response[1]!.toString(16)}`);
    return response;
  }

  #negotiated(): Uint8Array {
    if (this.#vca === null) throw new EmuError('SPDM_NOT_NEGOTIATED', 'call negotiate() first');
    return this.#vca;
  }

  negotiate(): void {
    this.#vca = null;
    this.#chainHash = null;
    this.#lastReport = null;
    const getVersion = encodeGetVersion();
    const version = this.#exchange(getVersion, SpdmCode.VERSION, 'GET_VERSION');
    if (!decodeVersion(version).some((entry) => entry >>> 8 === 0x11)) {
      throw new EmuError('SPDM_UNSUPPORTED_VERSION', 'the responder does not offer SPDM 1.1');
    }
    const getCaps = encodeCapabilities(SpdmCode.GET_CAPABILITIES, 0, REQUESTER_CAPABILITIES);
    const caps = this.#exchange(getCaps, SpdmCode.CAPABILITIES, 'GET_CAPABILITIES');
    const { flags } = decodeCapabilities(caps, SpdmCode.CAPABILITIES);
    if ((flags & RESPONDER_CAPABILITIES_NEEDED) !== RESPONDER_CAPABILITIES_NEEDED || (flags & (3 << 3)) !== SpdmCap.MEAS_SIG) {
      throw new EmuError('SPDM_MISSING_CAPABILITY', 'the responder lacks CERT, signed MEASUREMENTS, ENCRYPT, MAC or KEY_EX', { flags });
    }
    const negotiate = encodeNegotiateAlgorithms(OUR_SUITE);
    const algorithms = this.#exchange(negotiate, SpdmCode.ALGORITHMS, 'NEGOTIATE_ALGORITHMS');
    const a = decodeAlgorithms(algorithms);
    const exact =
      a.measurementSpec === SpdmAlg.MEAS_SPEC_DMTF &&
      a.measurementHash === SpdmAlg.MEAS_HASH_SHA384 &&
      a.baseAsym === SpdmAlg.BASE_ASYM_ECDSA_P384 &&
      a.baseHash === SpdmAlg.BASE_HASH_SHA384 &&
      a.tables.dhe === SpdmAlg.DHE_SECP384R1 &&
      a.tables.aead === SpdmAlg.AEAD_AES256_GCM &&
      a.tables.keySchedule === SpdmAlg.KEY_SCHEDULE_SPDM &&
      (a.tables.reqBaseAsym & ~SpdmAlg.REQ_ASYM_ECDSA_P384) === 0;
    if (!exact) throw new EmuError('SPDM_UNSUPPORTED_ALGORITHM', 'the responder selected something other than P-384/SHA-384/AES-256-GCM', { ...a });
    this.#vca = concatBytes(getVersion, version, getCaps, caps, negotiate, algorithms);
  }

  #slot0Digest(): Uint8Array {
    const digests = decodeDigests(this.#exchange(encodeGetDigests(), SpdmCode.DIGESTS, 'GET_DIGESTS'));
    return digests[0]!;
  }

  certificateChain(): Uint8Array[] {
    this.#negotiated();
    const digest = this.#slot0Digest();
    const parts: Uint8Array[] = [];
    let received = 0;
    let total: number | null = null;
    for (let i = 0; i < CERT_PORTIONS_MAX && (total === null || received < total); i++) {
      const response = this.#exchange(encodeGetCertificate(0, received, CERT_REQUEST_BYTES), SpdmCode.CERTIFICATE, 'GET_CERTIFICATE');
      const { slot, portion, remainder } = decodeCertificate(response);
      if (slot !== 0 || portion.length === 0 || portion.length > CERT_REQUEST_BYTES) {
        throw new EmuError('SPDM_MALFORMED', 'CERTIFICATE: wrong slot or portion size');
      }
      if (total !== null && received + portion.length + remainder !== total) {
        throw new EmuError('SPDM_MALFORMED', 'CERTIFICATE: RemainderLength is inconsistent');
      }
      total = received + portion.length + remainder;
      parts.push(portion);
      received += portion.length;
    }
    if (total === null || received !== total) throw new EmuError('SPDM_MALFORMED', 'the certificate chain did not arrive in bounded portions');
    const chain = concatBytes(...parts);
    if (!equalBytes(sha384(chain), digest)) {
      throw new EmuError('SPDM_CHAIN_DIGEST_MISMATCH', 'the certificate chain does not hash to the slot 0 digest');
    }
    const certificates = splitCertChain(chain);
    this.#chainHash = digest;
    return certificates;
  }

  measurements(nonce: Uint8Array): Uint8Array {
    this.#negotiated();
    if (!(nonce instanceof Uint8Array) || nonce.length !== SPDM_NONCE_BYTES) {
      throw new EmuError('SPDM_BAD_NONCE', `the measurement nonce is ${SPDM_NONCE_BYTES} bytes`);
    }
    const request = encodeGetMeasurements({ signatureRequested: true, operation: 0xff, nonce, slot: 0 });
    const response = this.#exchange(request, SpdmCode.MEASUREMENTS, 'GET_MEASUREMENTS');
    const report = concatBytes(request, response);
    // Structure only: the signature is the caller's to check with the leaf key it verified (verifySpdmMeasurements).
    this.#lastReport = parseSpdmMeasurements(report);
    return report;
  }

  keyExchange(responderLeafPublicKey: Uint8Array): RequesterSession {
    const vca = this.#negotiated();
    const chainHash = this.#chainHash ?? this.#slot0Digest();
    const reqId = this.#random.bytes(2);
    const reqSessionId = reqId[0]! | (reqId[1]! << 8);
    const ephemeral = p384KeyPair(this.#random);
    const request = encodeKeyExchange({
      summaryType: SUMMARY_ALL,
      slot: 0,
      reqSessionId,
      random: this.#random.bytes(32),
      dhe: pointToDhe(ephemeral.publicKey),
      opaque: new Uint8Array(0),
    });
    let shared: Uint8Array;
    let rsp: ReturnType<typeof decodeKeyExchangeRsp>;
    const transcript = new SessionTranscript(vca, chainHash).append(request);
    try {
      rsp = decodeKeyExchangeRsp(this.#exchange(request, SpdmCode.KEY_EXCHANGE_RSP, 'KEY_EXCHANGE'), true);
      if (rsp.mutAuthRequested !== 0) throw new EmuError('SPDM_UNSUPPORTED_ALGORITHM', 'mutual authentication is not supported');
      if (!p384Verify(rsp.signature, transcript.with(rsp.partial), responderLeafPublicKey)) {
        throw new EmuError('SPDM_BAD_SIGNATURE', 'KEY_EXCHANGE_RSP is not signed by the attested leaf key over this transcript');
      }
      try {
        shared = p384SharedSecret(ephemeral.privateKey, dheToPoint(rsp.dhe));
      } catch (error) {
        throw new EmuError('SPDM_MALFORMED', 'the responder exchange data is not a P-384 point', { cause: String(error) });
      }
    } finally {
      wipe(ephemeral.privateKey);
    }
    const th1 = transcript.hashWith(rsp.partial, rsp.signature);
    const hs = handshakeSecrets(shared, th1);
    wipe(shared);
    if (!verifyDataMatches(hs.responseFinishedKey, th1, rsp.verifyData)) {
      throw new EmuError('SPDM_BAD_VERIFY_DATA', 'ResponderVerifyData does not match the transcript');
    }
    if (this.#lastReport !== null) {
      const signed = measurementSummaryHash(this.#lastReport.response.blocks.map((b) => ({ index: b.index, valueType: b.valueType, digest: b.value })));
      if (!equalBytes(signed, rsp.summaryHash)) {
        throw new EmuError('SPDM_MEASUREMENT_SUMMARY_MISMATCH', 'the session is not with the device whose measurements were reported');
      }
    }
    transcript.append(concatBytes(rsp.partial, rsp.signature, rsp.verifyData));
    const sessionId = sessionIdOf(reqSessionId, rsp.rspSessionId);
    return this.#finish(transcript, hs, sessionId, rsp.summaryHash);
  }

  #finish(
    transcript: SessionTranscript,
    hs: ReturnType<typeof handshakeSecrets>,
    sessionId: number,
    summaryHash: Uint8Array,
  ): RequesterSession {
    const head = FINISH_HEADER();
    const finish = concatBytes(head, verifyData(hs.requestFinishedKey, transcript.hashWith(head)));
    const send = new SecuredDirection(hs.request);
    const receive = new SecuredDirection(hs.response);
    try {
      const raw = this.#transport(spdmFrame(SPDM_FRAME_SECURED, send.seal(sessionId, finish)));
      if (raw.length > 1 && raw[0] === SPDM_FRAME_PLAIN && isSpdmError(raw.subarray(1))) throw errorResponse(raw.subarray(1), 'FINISH');
      if (raw.length < 1 || raw[0] !== SPDM_FRAME_SECURED) throw new EmuError('SPDM_MALFORMED', 'FINISH: expected a secured response');
      const finishRsp = receive.open(sessionId, raw.subarray(1));
      if (isSpdmError(finishRsp)) throw errorResponse(finishRsp, 'FINISH');
      decodeSpdmBare(finishRsp, SpdmCode.FINISH_RSP, 'FINISH_RSP');
      const data = dataSecrets(hs.handshakeSecret, transcript.append(finish).append(finishRsp).hashWith());
      return new RequesterSession({
        sessionId,
        exportMaster: data.exportMaster,
        measurementSummaryHash: summaryHash,
        transport: this.#transport,
        send: new SecuredDirection(data.request),
        receive: new SecuredDirection(data.response),
      });
    } finally {
      send.wipe();
      receive.wipe();
      for (const secret of [hs.handshakeSecret, hs.requestFinishedKey, hs.responseFinishedKey]) wipe(secret);
    }
  }
}
