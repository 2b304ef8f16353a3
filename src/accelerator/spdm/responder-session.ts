// One responder-side session: KEY_EXCHANGE builds it, FINISH establishes it, END_SESSION or a reset ends it.
import {
  type HandshakeSecrets,
  type MeasurementBlockInput,
  type RandomSource,
  SUMMARY_ALL,
  SUMMARY_NONE,
  SecuredDirection,
  SessionTranscript,
  SpdmCode,
  SpdmErrorCode,
  concatBytes,
  dataSecrets,
  decodeFinish,
  decodeKeyExchange,
  dheToPoint,
  encodeFinishRsp,
  encodeKeyExchangeRspPartial,
  encodeSpdmError,
  handshakeSecrets,
  measurementSummaryHash,
  p384KeyPair,
  p384SharedSecret,
  p384Sign,
  pointToDhe,
  verifyData,
  verifyDataMatches,
  wipe,
} from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';

export type SessionPhase = 'handshake' | 'established';

export interface ResponderSession {
  readonly sessionId: number;
  phase: SessionPhase;
  transcript: SessionTranscript;
  handshake: HandshakeSecrets;
  /** Requester → responder and back; handshake keys until FINISH_RSP is sealed, then the data keys. */
  receive: SecuredDirection;
  send: SecuredDirection;
  exportMaster: Uint8Array | null;
}

/** An SPDM ERROR to answer with, instead of a response. */
export class SpdmRefusal extends Error {
  constructor(readonly errorCode: number, reason: string, readonly extended: Uint8Array = new Uint8Array(0)) {
    super(reason);
  }
  message11(): Uint8Array {
    return encodeSpdmError(this.errorCode, 0, this.extended);
  }
}

/** TCB summary: the immutable ROM and mutable firmware blocks (DMTF value types 0 and 1). */
function summaryBlocks(blocks: readonly MeasurementBlockInput[], type: number): MeasurementBlockInput[] {
  return type === SUMMARY_ALL ? [...blocks] : blocks.filter((b) => (b.valueType & 0x7f) <= 0x01);
}

/**
 * KEY_EXCHANGE → KEY_EXCHANGE_RSP. Pure until it returns: the caller stores the session only when this succeeds,
 * so a refused request leaves no half-made state.
 */
export function acceptKeyExchange(options: {
  readonly random: RandomSource;
  readonly request: Uint8Array;
  readonly vca: Uint8Array;
  readonly chainHash: Uint8Array;
  readonly leafPrivateKey: Uint8Array;
  readonly blocks: readonly MeasurementBlockInput[];
  readonly isSessionIdFree: (rspSessionId: number) => boolean;
  readonly sessionIdOf: (req: number, rsp: number) => number;
}): { response: Uint8Array; session: ResponderSession } {
  const ke = decodeKeyExchange(options.request);
  if (ke.slot !== 0) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'only slot 0 is provisioned');
  let rspSessionId = -1;
  // 16 draws of a 16-bit id colliding with at most a handful of live sessions means a broken random source.
  for (let attempt = 0; attempt < 16 && rspSessionId < 0; attempt++) {
    const b = options.random.bytes(2);
    const candidate = b[0]! | (b[1]! << 8);
    if (options.isSessionIdFree(candidate)) rspSessionId = candidate;
  }
  if (rspSessionId < 0) throw new SpdmRefusal(SpdmErrorCode.SessionLimitExceeded, 'no free session id');
  const ephemeral = p384KeyPair(options.random);
  let shared: Uint8Array;
  try {
    shared = p384SharedSecret(ephemeral.privateKey, dheToPoint(ke.dhe));
  } catch (error) {
    if (error instanceof EmuError) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'the exchange data is not a P-384 point');
    throw error;
  } finally {
    wipe(ephemeral.privateKey);
  }
  const summaryHash = ke.summaryType === SUMMARY_NONE ? new Uint8Array(0) : measurementSummaryHash(summaryBlocks(options.blocks, ke.summaryType));
  const partial = encodeKeyExchangeRspPartial({
    heartbeatPeriod: 0,
    rspSessionId,
    mutAuthRequested: 0,
    reqSlotIdParam: 0,
    random: options.random.bytes(32),
    dhe: pointToDhe(ephemeral.publicKey),
    summaryHash,
    opaque: new Uint8Array(0),
  });
  const transcript = new SessionTranscript(options.vca, options.chainHash).append(options.request);
  const signature = p384Sign(transcript.with(partial), options.leafPrivateKey);
  const th1 = transcript.hashWith(partial, signature);
  const handshake = handshakeSecrets(shared, th1);
  wipe(shared);
  const response = concatBytes(partial, signature, verifyData(handshake.responseFinishedKey, th1));
  transcript.append(response);
  return {
    response,
    session: {
      sessionId: options.sessionIdOf(ke.reqSessionId, rspSessionId),
      phase: 'handshake',
      transcript,
      handshake,
      receive: new SecuredDirection(handshake.request),
      send: new SecuredDirection(handshake.response),
      exportMaster: null,
    },
  };
}

/**
 * FINISH (already decrypted under the handshake keys) → FINISH_RSP sealed under the handshake keys; then the
 * session switches to the data keys. A wrong RequesterVerifyData is refused with DecryptError (DSP0274).
 */
export function acceptFinish(session: ResponderSession, finish: Uint8Array): Uint8Array {
  const { header, verifyData: received } = decodeFinish(finish);
  if (!verifyDataMatches(session.handshake.requestFinishedKey, session.transcript.hashWith(header), received)) {
    throw new SpdmRefusal(SpdmErrorCode.DecryptError, 'RequesterVerifyData does not match the transcript');
  }
  const finishRsp = encodeFinishRsp();
  const sealed = session.send.seal(session.sessionId, finishRsp);
  session.transcript.append(finish).append(finishRsp);
  const data = dataSecrets(session.handshake.handshakeSecret, session.transcript.hashWith());
  session.receive.wipe();
  session.send.wipe();
  session.receive = new SecuredDirection(data.request);
  session.send = new SecuredDirection(data.response);
  session.exportMaster = data.exportMaster;
  session.phase = 'established';
  return sealed;
}

export function wipeSession(session: ResponderSession): void {
  session.receive.wipe();
  session.send.wipe();
  wipe(session.handshake.handshakeSecret);
  wipe(session.handshake.requestFinishedKey);
  wipe(session.handshake.responseFinishedKey);
  if (session.exportMaster !== null) wipe(session.exportMaster);
}

export const isFinish = (m: Uint8Array): boolean => m.length >= 2 && m[1] === SpdmCode.FINISH;
