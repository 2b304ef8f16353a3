import { hkdfSha384, utf8 } from '../crypto/index.ts';
import { LockstepChannel, type LockstepLimits } from './lockstep.ts';

/**
 * Device↔device link keys. Both ends receive the same link secret over their own attested sessions (SET_PEER_KEY);
 * each direction gets its own secret by HKDF over the ordered pair of device ids, so the two directions never share
 * a (key, IV) and a frame sent A→B cannot be reflected back to A. Frames run in lockstep like the bounce buffers.
 */
export interface PeerChannels {
  readonly peerDeviceId: string;
  /** self → peer. */
  readonly tx: LockstepChannel;
  /** peer → self. */
  readonly rx: LockstepChannel;
}

function directionSecret(linkSecret: Uint8Array, fromId: string, toId: string): Uint8Array {
  return hkdfSha384(linkSecret, new Uint8Array(0), utf8(`nitro-emu peer link ${fromId} -> ${toId}`), 48);
}

export function derivePeerChannels(linkSecret: Uint8Array, selfId: string, peerId: string, limits: LockstepLimits): PeerChannels {
  // The direction secret already separates the streams; the channel label only sets the AEAD's AAD.
  return {
    peerDeviceId: peerId,
    tx: new LockstepChannel(directionSecret(linkSecret, selfId, peerId), 'h2d-data', limits),
    rx: new LockstepChannel(directionSecret(linkSecret, peerId, selfId), 'h2d-data', limits),
  };
}
