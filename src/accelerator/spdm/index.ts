// CONTRACT: signatures are fixed; the protocol engines live in responder*.ts and requester*.ts beside this entry.
import type { RandomSource } from '../../crypto/index.ts';
import { SpdmRequesterMachine } from './requester.ts';
import { SpdmResponderMachine } from './responder.ts';

/**
 * SPDM 1.1 at emulation depth (research/gpu-cc.md §3): the responder a device firmware runs, and the requester an
 * enclave driver (or the Nitro controller) runs. Transport is the caller's: one request in, one response out, as
 * bytes, so a relay (the host) can read, drop, replay or rewrite anything in between. Slot 0 only.
 */

/** One DMTF measurement block as the responder reports it (index 1..254, SHA-384 digest). */
export interface MeasurementRecord {
  readonly index: number;
  /** DMTF value type; 0x00 immutable ROM, 0x01 mutable firmware, 0x02 hardware config, 0x03 firmware config… */
  readonly valueType: number;
  readonly digest: Uint8Array;
}

export interface SpdmResponderIdentity {
  /** DER certificates, root first … leaf last (the SPDM cert chain order). */
  readonly chainDer: readonly Uint8Array[];
  readonly leafPrivateKey: Uint8Array;
}

/** What the device gives its responder. Called at each request, so a reset or a new firmware shows at once. */
export interface SpdmResponderHooks {
  identity(): SpdmResponderIdentity;
  measurements(): readonly MeasurementRecord[];
  /** Opaque data TLVs ({type u16, len u16, value}, little-endian) appended to MEASUREMENTS: mode, FWID, svn… */
  opaque(): Uint8Array;
  /** FINISH succeeded: the device installs channel keys from the export master secret. */
  onSessionEstablished(session: { readonly sessionId: number; readonly exportMaster: Uint8Array }): void;
  /** END_SESSION, or a reset. */
  onSessionEnded(sessionId: number): void;
  /**
   * An application message that arrived inside the secured session (VENDOR_DEFINED_REQUEST). The reply goes back
   * encrypted. Throwing an EmuError becomes an SPDM ERROR response carrying its code.
   */
  onSecuredCommand(sessionId: number, command: Uint8Array): Uint8Array;
}

export interface SpdmResponder {
  /** Handles one request (plain or secured); never throws for bad input: it answers an SPDM ERROR message. */
  handle(request: Uint8Array): Uint8Array;
  /** Drops transcripts and sessions (device reset). */
  reset(): void;
}

/**
 * Messages travel framed as MCTP does (first byte 0x05 plain SPDM, 0x06 secured SPDM: SPDM_FRAME_PLAIN/SECURED in
 * the crypto entry), so one mailbox can tell a secured message from a plain one.
 */
export function createSpdmResponder(random: RandomSource, hooks: SpdmResponderHooks): SpdmResponder {
  return new SpdmResponderMachine(random, hooks);
}

export type SpdmTransport = (request: Uint8Array) => Uint8Array;

export interface SpdmSecuredSession {
  readonly sessionId: number;
  /** The SPDM export master secret; the driver derives its channel keys from it exactly as the device does. */
  readonly exportMaster: Uint8Array;
  /** Sends one application command inside the session, returns the decrypted reply; typed error on an SPDM ERROR. */
  command(command: Uint8Array): Uint8Array;
  end(): void;
  /** SHA-384 over all measurement blocks, as the responder signed it into KEY_EXCHANGE_RSP. */
  readonly measurementSummaryHash?: Uint8Array;
  /** False once end() ran or a transport failure broke the lockstep sequence numbers. */
  readonly isOpen?: boolean;
}

export interface SpdmRequester {
  /** GET_VERSION, GET_CAPABILITIES, NEGOTIATE_ALGORITHMS: refuses anything but 1.1, P-384, SHA-384, AES-256-GCM. */
  negotiate(): void;
  /** GET_DIGESTS + GET_CERTIFICATE (slot 0): DER certificates, root first … leaf last. Checks the digest. */
  certificateChain(): Uint8Array[];
  /**
   * GET_MEASUREMENTS, all blocks, signature requested, with the caller's 32-byte nonce: returns the report
   * (request ‖ response) in the exact layout `parseSpdmMeasurements` reads (the NVIDIA layout).
   */
  measurements(nonce: Uint8Array): Uint8Array;
  /**
   * KEY_EXCHANGE (ECDHE P-384, signed by the responder's leaf key over TH1, ResponderVerifyData checked) then
   * FINISH (RequesterVerifyData). Typed errors: SPDM_BAD_SIGNATURE, SPDM_BAD_VERIFY_DATA, SPDM_ERROR_RESPONSE…
   */
  keyExchange(responderLeafPublicKey: Uint8Array): SpdmSecuredSession;
}

export function createSpdmRequester(random: RandomSource, transport: SpdmTransport): SpdmRequester {
  return new SpdmRequesterMachine(random, transport);
}

export { CERT_PORTION_BYTES_MAX, RESPONDER_CAPABILITIES, SESSIONS_MAX } from './responder.ts';
export { REQUESTER_CAPABILITIES } from './requester.ts';
