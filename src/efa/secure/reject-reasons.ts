/** Why a packet was refused; each has its own counter in a protector's stats() (`rejected.<reason>`). */
export type RejectReason =
  | 'malformed' // not addressed to us, or a security header that does not parse
  | 'unknownPeer' // no attested session with the claimed source (NET-06)
  | 'plaintext' // unsealed packet on an encrypted link (NET-06/07)
  | 'spliced' // sealed for another link, job or direction (NET-09)
  | 'reflected' // our own transmission sent back to us (NET-09)
  | 'badEpoch' // an epoch whose key we do not (or no longer) hold
  | 'replayed' // counter already seen inside the window (NET-03)
  | 'tooOld' // counter behind the window
  | 'authFailed'; // tag mismatch: tampered or corrupted (NET-02)

export const REJECT_REASONS: readonly RejectReason[] = [
  'malformed',
  'unknownPeer',
  'plaintext',
  'spliced',
  'reflected',
  'badEpoch',
  'replayed',
  'tooOld',
  'authFailed',
];
