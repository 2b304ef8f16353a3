import { aes256GcmOpen, aes256GcmSeal, utf8, wipe } from '../crypto/index.ts';
import { EmuError, isEmuError } from '../errors.ts';
import { deriveChannelKey } from './channel-keys.ts';
import { LockstepChannel, type LockstepLimits } from './lockstep.ts';
import { type PeerChannels, derivePeerChannels } from './peer-link.ts';

/**
 * The device end of one SPDM secured session: channel keys expanded from the export master secret (the driver
 * derives the same from its copy), the ready gate, and the peer-link keys received over this session.
 */
export const PEERS_MAX = 64;
export const WIRE_IV_BYTES = 12;

export class DeviceSession {
  readonly sessionId: number;
  readonly h2d: LockstepChannel;
  readonly d2h: LockstepChannel;
  ready = false;
  readonly #exportMaster: Uint8Array;
  readonly #limits: LockstepLimits;
  readonly #peers = new Map<string, PeerChannels>();

  constructor(sessionId: number, exportMaster: Uint8Array, limits: LockstepLimits) {
    this.sessionId = sessionId;
    this.#exportMaster = exportMaster.slice();
    this.#limits = limits;
    this.h2d = new LockstepChannel(this.#exportMaster, 'h2d-data', limits);
    this.d2h = new LockstepChannel(this.#exportMaster, 'd2h-data', limits);
  }

  installPeerKey(selfId: string, peerId: string, linkSecret: Uint8Array): void {
    if (peerId === selfId) throw new EmuError('DEV_BAD_COMMAND', 'a device has no link to itself');
    if (!this.#peers.has(peerId) && this.#peers.size >= PEERS_MAX) {
      throw new EmuError('DEV_TOO_MANY_PEERS', `at most ${PEERS_MAX} peers per session`);
    }
    this.#peers.set(peerId, derivePeerChannels(linkSecret, selfId, peerId, this.#limits));
  }

  peer(peerId: string): PeerChannels | undefined {
    return this.#peers.get(peerId);
  }

  /**
   * The flawed receive path (defence lockstepCounters off): the IV comes from the buffer itself, so any buffer the
   * sender ever produced opens again. Kept here so the flaw is one visible function, not a branch inside the channel.
   */
  openWithWireIv(buffer: Uint8Array): Uint8Array {
    if (buffer.length < WIRE_IV_BYTES + 16) throw new EmuError('ACCEL_TAG_MISMATCH', 'buffer too short for iv ‖ tag');
    const key = deriveChannelKey(this.#exportMaster, 'h2d-data', 0);
    try {
      return aes256GcmOpen(key.key, buffer.subarray(0, WIRE_IV_BYTES), buffer.subarray(WIRE_IV_BYTES), utf8('h2d-data'));
    } catch (error) {
      if (!isEmuError(error, 'AEAD_AUTH_FAILED')) throw error;
      throw new EmuError('ACCEL_TAG_MISMATCH', 'h2d-data: staging buffer failed the tag check (IV from the wire)');
    }
  }

  wipe(): void {
    wipe(this.#exportMaster);
    this.#peers.clear();
    this.ready = false;
  }
}

/** The sender the flawed device expects: iv ‖ AES-256-GCM(h2d generation-0 key, iv, plaintext). For negative controls. */
export function sealWithWireIv(exportMaster: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const key = deriveChannelKey(exportMaster, 'h2d-data', 0);
  const sealed = aes256GcmSeal(key.key, iv, plaintext, utf8('h2d-data'));
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return out;
}
