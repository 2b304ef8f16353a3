// The requester's side of an established session: VENDOR_DEFINED commands and END_SESSION, sealed with the data
// keys. Each command consumes one sequence number each way; any transport failure closes the session locally
// because the two ends' counters can no longer agree (and an IV is never reused to "retry").
import {
  SPDM_FRAME_PLAIN,
  SPDM_FRAME_SECURED,
  SecuredDirection,
  SpdmCode,
  decodeSpdmBare,
  decodeVendorDefined,
  encodeEndSession,
  encodeVendorDefined,
  isSpdmError,
  spdmFrame,
} from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import type { SpdmSecuredSession, SpdmTransport } from './index.ts';
import { errorResponse } from './requester-errors.ts';

export class RequesterSession implements SpdmSecuredSession {
  readonly sessionId: number;
  readonly exportMaster: Uint8Array;
  /** SHA-384 summary of all measurement blocks the responder signed into KEY_EXCHANGE_RSP. */
  readonly measurementSummaryHash: Uint8Array;
  readonly #transport: SpdmTransport;
  readonly #send: SecuredDirection;
  readonly #receive: SecuredDirection;
  #open = true;

  constructor(options: {
    sessionId: number;
    exportMaster: Uint8Array;
    measurementSummaryHash: Uint8Array;
    transport: SpdmTransport;
    send: SecuredDirection;
    receive: SecuredDirection;
  }) {
    this.sessionId = options.sessionId;
    this.exportMaster = options.exportMaster;
    this.measurementSummaryHash = options.measurementSummaryHash;
    this.#transport = options.transport;
    this.#send = options.send;
    this.#receive = options.receive;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** One sealed request, one reply opened at the expected sequence number. */
  #exchange(message: Uint8Array): Uint8Array {
    if (!this.#open) throw new EmuError('SPDM_SESSION_CLOSED', 'the SPDM session has ended', { sessionId: this.sessionId });
    const sealed = spdmFrame(SPDM_FRAME_SECURED, this.#send.seal(this.sessionId, message));
    try {
      const raw = this.#transport(sealed);
      if (raw.length > 1 && raw[0] === SPDM_FRAME_PLAIN && isSpdmError(raw.subarray(1))) {
        throw errorResponse(raw.subarray(1), 'secured request');
      }
      if (raw.length < 1 || raw[0] !== SPDM_FRAME_SECURED) throw new EmuError('SPDM_MALFORMED', 'expected a secured response');
      return this.#receive.open(this.sessionId, raw.subarray(1));
    } catch (error) {
      this.#close();
      throw error;
    }
  }

  command(command: Uint8Array): Uint8Array {
    const reply = this.#exchange(encodeVendorDefined(SpdmCode.VENDOR_DEFINED_REQUEST, command));
    // An authentic ERROR (the device refused the command) leaves both counters in step: the session stays open.
    if (isSpdmError(reply)) throw errorResponse(reply, 'command');
    try {
      return decodeVendorDefined(reply, SpdmCode.VENDOR_DEFINED_RESPONSE);
    } catch (error) {
      this.#close();
      throw error;
    }
  }

  /** END_SESSION; local keys are wiped whatever the answer. Idempotent. */
  end(): void {
    if (!this.#open) return;
    try {
      const reply = this.#exchange(encodeEndSession());
      if (isSpdmError(reply)) throw errorResponse(reply, 'END_SESSION');
      decodeSpdmBare(reply, SpdmCode.END_SESSION_ACK, 'END_SESSION_ACK');
    } finally {
      this.#close();
    }
  }

  #close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#send.wipe();
    this.#receive.wipe();
  }
}

