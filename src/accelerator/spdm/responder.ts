// The device firmware's SPDM 1.1 responder: a state machine over one mailbox. Plain requests walk
// VERSION → CAPABILITIES → ALGORITHMS, then DIGESTS/CERTIFICATE/MEASUREMENTS/KEY_EXCHANGE in any order; secured
// requests carry FINISH, then VENDOR_DEFINED commands and END_SESSION. Bad input gets an SPDM ERROR, never a throw,
// and a refused request changes nothing (no transcript byte, no session, no sequence number).
import {
  type RandomSource,
  SPDM_FRAME_PLAIN,
  SPDM_FRAME_SECURED,
  SPDM_MESSAGE_BYTES_MAX,
  SPDM_V10,
  SPDM_V11,
  SpdmAlg,
  SpdmCap,
  SpdmCode,
  SpdmErrorCode,
  buildCertChain,
  buildMeasurementsResponse,
  concatBytes,
  decodeCapabilities,
  decodeGetCertificate,
  decodeGetDigests,
  decodeGetMeasurements,
  decodeGetVersion,
  decodeNegotiateAlgorithms,
  encodeAlgorithms,
  encodeCapabilities,
  encodeCertificate,
  encodeDigests,
  encodeSpdmError,
  encodeVersion,
  selectBlocks,
  sessionIdOf,
  sha384,
  spdmFrame,
} from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import type { SpdmResponder, SpdmResponderHooks } from './index.ts';
import { type ResponderSession, SpdmRefusal, acceptKeyExchange, wipeSession } from './responder-session.ts';
import { type SecuredContext, handleSecured } from './responder-secured.ts';

type ConnectionState = 'initial' | 'version' | 'capabilities' | 'negotiated';

export const RESPONDER_CAPABILITIES = SpdmCap.CERT | SpdmCap.MEAS_SIG | SpdmCap.MEAS_FRESH | SpdmCap.ENCRYPT | SpdmCap.MAC | SpdmCap.KEY_EX;
/** Largest CERTIFICATE portion; the requester walks the chain in offsets of at most this. */
export const CERT_PORTION_BYTES_MAX = 1024;
export const SESSIONS_MAX = 4;
const CT_EXPONENT = 12;

export class SpdmResponderMachine implements SpdmResponder {
  readonly #random: RandomSource;
  readonly #hooks: SpdmResponderHooks;
  #state: ConnectionState = 'initial';
  #vca: Uint8Array[] = [];
  #requesterFlags = 0;
  readonly #sessions = new Map<number, ResponderSession>();
  readonly #securedContext: SecuredContext;

  constructor(random: RandomSource, hooks: SpdmResponderHooks) {
    this.#random = random;
    this.#hooks = hooks;
    this.#securedContext = { sessions: this.#sessions, hooks, endSession: (session) => this.#endSession(session) };
  }

  handle(request: Uint8Array): Uint8Array {
    try {
      if (!(request instanceof Uint8Array) || request.length < 2 || request.length > SPDM_MESSAGE_BYTES_MAX) {
        throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'message size out of range');
      }
      const body = request.subarray(1);
      if (request[0] === SPDM_FRAME_PLAIN) return spdmFrame(SPDM_FRAME_PLAIN, this.#plain(body));
      if (request[0] === SPDM_FRAME_SECURED) return handleSecured(this.#securedContext, body);
      throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'unknown transport message type');
    } catch (error) {
      if (error instanceof SpdmRefusal) return spdmFrame(SPDM_FRAME_PLAIN, this.#errorMessage(error));
      // Decoders throw typed errors on malformed input; the device answers, it does not crash.
      if (error instanceof EmuError) return spdmFrame(SPDM_FRAME_PLAIN, this.#errorMessage(new SpdmRefusal(SpdmErrorCode.InvalidRequest, error.message)));
      throw error;
    }
  }

  reset(): void {
    this.#state = 'initial';
    this.#vca = [];
    this.#requesterFlags = 0;
    for (const session of [...this.#sessions.values()]) this.#endSession(session);
  }

  #endSession(session: ResponderSession): void {
    this.#sessions.delete(session.sessionId);
    const wasEstablished = session.phase === 'established';
    wipeSession(session);
    if (wasEstablished) this.#hooks.onSessionEnded(session.sessionId);
  }

  #errorMessage(refusal: SpdmRefusal): Uint8Array {
    return encodeSpdmError(refusal.errorCode, 0, refusal.extended, this.#state === 'initial' ? SPDM_V10 : SPDM_V11);
  }

  #require(state: ConnectionState, what: string): void {
    if (this.#state !== state) throw new SpdmRefusal(SpdmErrorCode.UnexpectedRequest, `${what} in state ${this.#state}`);
  }

  #plain(m: Uint8Array): Uint8Array {
    if (m.length < 4) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'short message');
    const code = m[1]!;
    if (code === SpdmCode.GET_VERSION) {
      if (m[0] !== SPDM_V10) throw new SpdmRefusal(SpdmErrorCode.VersionMismatch, 'GET_VERSION is always version 1.0');
      decodeGetVersion(m);
      const response = encodeVersion([0x1100]);
      // GET_VERSION restarts the connection: VCA starts over. Established sessions keep their own keys.
      this.#state = 'version';
      this.#vca = [m.slice(), response];
      this.#requesterFlags = 0;
      return response;
    }
    if (this.#state === 'initial') throw new SpdmRefusal(SpdmErrorCode.UnexpectedRequest, 'GET_VERSION comes first');
    if (m[0] !== SPDM_V11) throw new SpdmRefusal(SpdmErrorCode.VersionMismatch, `version 0x${m[0]!.toString(16)} was not negotiated`);
    switch (code) {
      case SpdmCode.GET_CAPABILITIES:
        return this.#capabilities(m);
      case SpdmCode.NEGOTIATE_ALGORITHMS:
        return this.#algorithms(m);
      case SpdmCode.GET_DIGESTS:
        this.#require('negotiated', 'GET_DIGESTS');
        decodeGetDigests(m);
        return encodeDigests(sha384(this.#chain()));
      case SpdmCode.GET_CERTIFICATE:
        return this.#certificate(m);
      case SpdmCode.GET_MEASUREMENTS:
        return this.#measurements(m);
      case SpdmCode.KEY_EXCHANGE:
        return this.#keyExchange(m);
      case SpdmCode.FINISH:
      case SpdmCode.END_SESSION:
      case SpdmCode.VENDOR_DEFINED_REQUEST:
        throw new SpdmRefusal(SpdmErrorCode.UnexpectedRequest, 'this request travels inside a session');
      default:
        throw new SpdmRefusal(SpdmErrorCode.UnsupportedRequest, `request code 0x${code.toString(16)}`);
    }
  }

  #capabilities(m: Uint8Array): Uint8Array {
    this.#require('version', 'GET_CAPABILITIES');
    const { flags } = decodeCapabilities(m, SpdmCode.GET_CAPABILITIES);
    const response = encodeCapabilities(SpdmCode.CAPABILITIES, CT_EXPONENT, RESPONDER_CAPABILITIES);
    this.#requesterFlags = flags;
    this.#vca.push(m.slice(), response);
    this.#state = 'capabilities';
    return response;
  }

  #algorithms(m: Uint8Array): Uint8Array {
    this.#require('capabilities', 'NEGOTIATE_ALGORITHMS');
    const offer = decodeNegotiateAlgorithms(m);
    const required: [string, number, number][] = [
      ['DMTF measurement specification', offer.measurementSpec, SpdmAlg.MEAS_SPEC_DMTF],
      ['ECDSA P-384', offer.baseAsym, SpdmAlg.BASE_ASYM_ECDSA_P384],
      ['SHA-384', offer.baseHash, SpdmAlg.BASE_HASH_SHA384],
      ['secp384r1 DHE', offer.tables.dhe, SpdmAlg.DHE_SECP384R1],
      ['AES-256-GCM', offer.tables.aead, SpdmAlg.AEAD_AES256_GCM],
      ['the SPDM key schedule', offer.tables.keySchedule, SpdmAlg.KEY_SCHEDULE_SPDM],
    ];
    for (const [name, offered, bit] of required) {
      if ((offered & bit) === 0) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, `the requester does not offer ${name}`);
    }
    const response = encodeAlgorithms({
      measurementSpec: SpdmAlg.MEAS_SPEC_DMTF,
      measurementHash: SpdmAlg.MEAS_HASH_SHA384,
      baseAsym: SpdmAlg.BASE_ASYM_ECDSA_P384,
      baseHash: SpdmAlg.BASE_HASH_SHA384,
      tables: {
        dhe: SpdmAlg.DHE_SECP384R1,
        aead: SpdmAlg.AEAD_AES256_GCM,
        reqBaseAsym: offer.tables.reqBaseAsym & SpdmAlg.REQ_ASYM_ECDSA_P384,
        keySchedule: SpdmAlg.KEY_SCHEDULE_SPDM,
      },
    });
    this.#vca.push(m.slice(), response);
    this.#state = 'negotiated';
    return response;
  }

  #chain(): Uint8Array {
    return buildCertChain(this.#hooks.identity().chainDer);
  }

  #certificate(m: Uint8Array): Uint8Array {
    this.#require('negotiated', 'GET_CERTIFICATE');
    const { slot, offset, length } = decodeGetCertificate(m);
    if (slot !== 0) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, `slot ${slot} is not provisioned`);
    const chain = this.#chain();
    if (offset >= chain.length || length === 0) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'offset past the chain or empty length');
    const portion = chain.subarray(offset, offset + Math.min(length, CERT_PORTION_BYTES_MAX));
    return encodeCertificate(0, portion, chain.length - offset - portion.length);
  }

  #measurements(m: Uint8Array): Uint8Array {
    this.#require('negotiated', 'GET_MEASUREMENTS');
    const request = decodeGetMeasurements(m);
    if (request.signatureRequested && request.slot !== 0) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'only slot 0 signs');
    const all = this.#hooks.measurements();
    const blocks = selectBlocks(all, request.operation);
    if (blocks === null) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, `no measurement at index ${request.operation}`);
    return buildMeasurementsResponse({
      requestBytes: m,
      request,
      blocks,
      totalIndices: all.length,
      responderNonce: this.#random.bytes(32),
      opaque: this.#hooks.opaque(),
      ...(request.signatureRequested ? { signingKey: this.#hooks.identity().leafPrivateKey } : {}),
    });
  }

  #keyExchange(m: Uint8Array): Uint8Array {
    this.#require('negotiated', 'KEY_EXCHANGE');
    const needed = SpdmCap.KEY_EX | SpdmCap.ENCRYPT | SpdmCap.MAC;
    if ((this.#requesterFlags & needed) !== needed) {
      throw new SpdmRefusal(SpdmErrorCode.UnexpectedRequest, 'the requester did not declare KEY_EX, ENCRYPT and MAC');
    }
    if (this.#sessions.size >= SESSIONS_MAX) {
      // A handshake nobody finished (a requester that gave up, a relay that dropped FINISH) must not hold a slot forever.
      const stale = [...this.#sessions.values()].find((s) => s.phase === 'handshake');
      if (stale === undefined) throw new SpdmRefusal(SpdmErrorCode.SessionLimitExceeded, `${SESSIONS_MAX} sessions open`);
      this.#endSession(stale);
    }
    const identity = this.#hooks.identity();
    const { response, session } = acceptKeyExchange({
      random: this.#random,
      request: m,
      vca: concatBytes(...this.#vca),
      chainHash: sha384(buildCertChain(identity.chainDer)),
      leafPrivateKey: identity.leafPrivateKey,
      blocks: this.#hooks.measurements(),
      isSessionIdFree: (rsp) => [...this.#sessions.keys()].every((id) => id >>> 16 !== rsp),
      sessionIdOf,
    });
    if (this.#sessions.has(session.sessionId)) {
      wipeSession(session);
      throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'session id in use');
    }
    this.#sessions.set(session.sessionId, session);
    return response;
  }
}
