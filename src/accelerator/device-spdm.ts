/**
 * The device's own screen in front of its SPDM responder. Mailbox frames carry one type byte (0x05 plain SPDM,
 * 0x06 secured, as MCTP does); a plain KEY_EXCHANGE the device will not honour is answered with an SPDM ERROR before
 * the responder spends a key exchange on it: with confidential mode off (UnsupportedRequest), or when a session
 * already held the device this epoch (SessionLimitExceeded: a later holder could read what the earlier one left).
 */
const FRAME_PLAIN = 0x05;
const SPDM_V11 = 0x11;
const KEY_EXCHANGE = 0xe4;
const ERROR = 0x7f;
const ERROR_UNSUPPORTED_REQUEST = 0x07;
const ERROR_SESSION_LIMIT_EXCEEDED = 0x0a;

export type KeyExchangeRefusal = 'mode-off' | 'one-session-per-epoch';

export function isPlainKeyExchange(request: Uint8Array): boolean {
  return request.length >= 3 && request[0] === FRAME_PLAIN && request[2] === KEY_EXCHANGE;
}

export function keyExchangeRefusal(reason: KeyExchangeRefusal): Uint8Array {
  return reason === 'mode-off'
    ? Uint8Array.of(FRAME_PLAIN, SPDM_V11, ERROR, ERROR_UNSUPPORTED_REQUEST, KEY_EXCHANGE)
    : Uint8Array.of(FRAME_PLAIN, SPDM_V11, ERROR, ERROR_SESSION_LIMIT_EXCEEDED, 0);
}
