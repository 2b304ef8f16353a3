// Every defence of the secure link has a switch so each security test can run its negative control (DESIGN.md §3):
// the same attack with the defence off must succeed, or the test proves nothing.

export interface SecureLinkDefences {
  /** AES-256-GCM on every packet (NET-01, NET-02). Off: packets cross the wire unchanged (null cipher). */
  readonly encrypt: boolean;
  /** Sliding anti-replay window over the per-direction transmission counter (NET-03). */
  readonly antiReplay: boolean;
  /** Keys and AAD bound to link (src, dst), job and direction (NET-09). Off: one key per epoch for both directions. */
  readonly aadBinding: boolean;
  /** Attestation evidence checked in the handshake; packets from peers without a session refused (NET-06, CT-05). */
  readonly peerAuthentication: boolean;
  /** Old versions, the null suite and a cleared encryption flag refused; all bound into the transcript (NET-07). */
  readonly downgradeProtection: boolean;
  /** New epoch (key) before the usage limit; hard error rather than a repeated nonce (NET-08). */
  readonly rekey: boolean;
}

export const DEFAULT_DEFENCES: SecureLinkDefences = Object.freeze({
  encrypt: true,
  antiReplay: true,
  aadBinding: true,
  peerAuthentication: true,
  downgradeProtection: true,
  rekey: true,
});

export function defencesWith(overrides: Partial<SecureLinkDefences> = {}): SecureLinkDefences {
  return Object.freeze({ ...DEFAULT_DEFENCES, ...overrides });
}
