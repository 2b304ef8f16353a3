// Secured requests at the responder: open under the session's receive keys at the expected sequence number, then
// FINISH (handshake phase) or VENDOR_DEFINED / END_SESSION (established). A message that fails its tag (tampered,
// replayed, reordered) gets a plain DecryptError and leaves the session exactly as it was.
import {
  SPDM_FRAME_SECURED,
  SPDM_V11,
  SpdmCode,
  SpdmErrorCode,
  concatBytes,
  decodeSpdmBare,
  decodeVendorDefined,
  encodeEndSessionAck,
  encodeSpdmError,
  encodeVendorDefined,
  parseSecuredHeader,
  spdmFrame,
  utf8,
} from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import type { SpdmResponderHooks } from './index.ts';
import { type ResponderSession, SpdmRefusal, acceptFinish, isFinish } from './responder-session.ts';

export interface SecuredContext {
  readonly sessions: Map<number, ResponderSession>;
  readonly hooks: SpdmResponderHooks;
  endSession(session: ResponderSession): void;
}

/** An EmuError code from the device, carried in a VendorDefined ERROR: Len(1)=2 ‖ VendorID 0xFFFF ‖ code (UTF-8). */
const DEVICE_CODE_CHARS_MAX = 64;

export function vendorErrorData(code: string): Uint8Array {
  return concatBytes(Uint8Array.of(2, 0xff, 0xff), utf8(code.slice(0, DEVICE_CODE_CHARS_MAX)));
}

export function handleSecured(ctx: SecuredContext, body: Uint8Array): Uint8Array {
  const { sessionId } = parseSecuredHeader(body);
  const session = ctx.sessions.get(sessionId);
  if (session === undefined) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'no such session');
  let inner: Uint8Array;
  try {
    inner = session.receive.open(sessionId, body);
  } catch (error) {
    if (error instanceof EmuError) throw new SpdmRefusal(SpdmErrorCode.DecryptError, error.message);
    throw error;
  }
  // From here the request was authentic: every answer, ERROR included, goes back sealed.
  const sealed = (message: Uint8Array): Uint8Array => spdmFrame(SPDM_FRAME_SECURED, session.send.seal(sessionId, message));
  try {
    if (inner.length < 4) throw new SpdmRefusal(SpdmErrorCode.InvalidRequest, 'short message');
    if (inner[0] !== SPDM_V11) throw new SpdmRefusal(SpdmErrorCode.VersionMismatch, 'secured messages are SPDM 1.1');
    if (session.phase === 'handshake') {
      if (!isFinish(inner)) throw new SpdmRefusal(SpdmErrorCode.UnexpectedRequest, 'FINISH comes first in a session');
      try {
        const response = spdmFrame(SPDM_FRAME_SECURED, acceptFinish(session, inner));
        ctx.hooks.onSessionEstablished({ sessionId, exportMaster: session.exportMaster!.slice() });
        return response;
      } catch (error) {
        // DSP0274: a FINISH that does not verify ends the half-open session.
        if (error instanceof SpdmRefusal && error.errorCode === SpdmErrorCode.DecryptError) {
          const answer = sealed(error.message11());
          ctx.endSession(session);
          return answer;
        }
        throw error;
      }
    }
    switch (inner[1]) {
      case SpdmCode.VENDOR_DEFINED_REQUEST: {
        const command = decodeVendorDefined(inner, SpdmCode.VENDOR_DEFINED_REQUEST);
        let reply: Uint8Array;
        try {
          reply = ctx.hooks.onSecuredCommand(sessionId, command);
        } catch (error) {
          if (error instanceof EmuError) throw new SpdmRefusal(SpdmErrorCode.VendorDefined, error.message, vendorErrorData(error.code));
          throw error;
        }
        return sealed(encodeVendorDefined(SpdmCode.VENDOR_DEFINED_RESPONSE, reply));
      }
      case SpdmCode.END_SESSION: {
        decodeSpdmBare(inner, SpdmCode.END_SESSION, 'END_SESSION');
        const ack = sealed(encodeEndSessionAck());
        ctx.endSession(session);
        return ack;
      }
      case SpdmCode.FINISH:
        throw new SpdmRefusal(SpdmErrorCode.UnexpectedRequest, 'the session is already established');
      default:
        throw new SpdmRefusal(SpdmErrorCode.UnsupportedRequest, `request 0x${inner[1]!.toString(16)} is not supported in a session`);
    }
  } catch (error) {
    if (error instanceof SpdmRefusal) return sealed(error.message11());
    if (error instanceof EmuError) return sealed(encodeSpdmError(SpdmErrorCode.InvalidRequest));
    throw error;
  }
}
