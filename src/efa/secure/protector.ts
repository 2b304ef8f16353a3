import { EmuError, assert, isEmuError } from '../../errors.ts';
import { aes256GcmOpen, aes256GcmSeal, wipe } from '../../crypto/index.ts';
import type { HostId, Packet, PacketProtector } from '../contracts.ts';
import {
  EPOCHS_MAX,
  KEY_USAGE_PACKETS_MAX,
  REKEY_AFTER_PACKETS_DEFAULT,
  REPLAY_WINDOW_DEFAULT,
  SECURE_LINK_OVERHEAD_BYTES,
  TX_COUNTER_BITS_DEFAULT,
} from './constants.ts';
import { DEFAULT_DEFENCES, type SecureLinkDefences } from './defences.ts';
import { type SealedHeader, isSealedHeader, linkNonce } from './envelope.ts';
import { HEADER_UNENCODABLE } from './header-encoding.ts';
import { type LinkState, commitRxEpoch, linkAad, newLinkState, rxKeyFor, wipeLinkState } from './link-state.ts';
import { type PaddingPolicy, checkPaddingPolicy, pad, unpad } from './padding.ts';
import { REJECT_REASONS, type RejectReason } from './reject-reasons.ts';
import type { LinkSession } from './session.ts';

export type ProtectorMode = 'real' | 'accounted';

export { type RejectReason, REJECT_REASONS } from './reject-reasons.ts';

export interface SecureLinkProtectorOptions {
  readonly host: HostId;
  readonly sessions?: readonly LinkSession[];
  /** Consulted for a peer with no installed session (e.g. domain-keyed experiments); undefined = unknown peer. */
  readonly resolveSession?: (peer: HostId) => LinkSession | undefined;
  /** 'real' (default): AES-256-GCM. 'accounted': same headers, wire bytes and checks, no AES (payload stays clear). */
  readonly mode?: ProtectorMode;
  readonly defences?: SecureLinkDefences;
  readonly rekeyAfterPackets?: number;
  /** Hard cap per key (never more than 2^32 − 1). */
  readonly keyUsagePacketsMax?: number;
  readonly replayWindow?: number;
  /** Width of the transmission counter; tests shrink it to reach exhaustion (and, defence off, wrap-around). */
  readonly txCounterBits?: number;
  /** Length hiding (NET-10): sealed payloads grow to the policy's size classes. Both ends must claim the same one. */
  readonly padding?: PaddingPolicy;
}

const LINKS_MAX = 1 << 16;

/**
 * The PacketProtector of one host's NIC: one LinkSession per peer. seal() gives every transmission (retransmissions
 * included) a fresh counter, so (key, nonce) never repeats; open() checks, in order: addressing, session, link
 * binding, epoch, replay window, tag — and only a packet that passes all of them moves the window or the epoch.
 */
export class SecureLinkProtector implements PacketProtector {
  readonly host: HostId;
  readonly mode: ProtectorMode;
  readonly defences: SecureLinkDefences;
  readonly #links = new Map<HostId, LinkState>();
  readonly #rekeyAfter: number;
  readonly #usageMax: number;
  readonly #windowSize: number;
  readonly #counterLimit: number;
  readonly #stats = new Map<string, number>();
  readonly #resolve: ((peer: HostId) => LinkSession | undefined) | undefined;
  readonly padding: PaddingPolicy | undefined;

  constructor(options: SecureLinkProtectorOptions) {
    this.host = options.host;
    this.mode = options.mode ?? 'real';
    this.defences = options.defences ?? DEFAULT_DEFENCES;
    this.#rekeyAfter = options.rekeyAfterPackets ?? REKEY_AFTER_PACKETS_DEFAULT;
    this.#usageMax = Math.min(options.keyUsagePacketsMax ?? KEY_USAGE_PACKETS_MAX, KEY_USAGE_PACKETS_MAX);
    this.#windowSize = options.replayWindow ?? REPLAY_WINDOW_DEFAULT;
    this.#resolve = options.resolveSession;
    if (options.padding !== undefined) checkPaddingPolicy(options.padding);
    this.padding = options.padding;
    const bits = options.txCounterBits ?? TX_COUNTER_BITS_DEFAULT;
    assert(Number.isInteger(bits) && bits >= 2 && bits <= 53, `txCounterBits must be 2..53, got ${bits}`);
    this.#counterLimit = 2 ** bits;
    assert(Number.isSafeInteger(this.#rekeyAfter) && this.#rekeyAfter >= 1, 'rekeyAfterPackets must be a positive integer');
    assert(Number.isSafeInteger(this.#usageMax) && this.#usageMax >= 1, 'keyUsagePacketsMax must be a positive integer');
    for (const name of ['sealed', 'opened', 'rekeys', 'rejected', ...REJECT_REASONS.map((r) => `rejected.${r}`)]) this.#stats.set(name, 0);
    for (const session of options.sessions ?? []) this.addSession(session);
  }

  /** Installs the session with `session.peer.host`, replacing (and wiping) an older one. */
  addSession(session: LinkSession): void {
    assert(session.local.host === this.host, 'the session belongs to another host');
    const old = this.#links.get(session.peer.host);
    assert(old !== undefined || this.#links.size < LINKS_MAX, `more than ${LINKS_MAX} links on one host`);
    if (old !== undefined) this.#dropLink(old);
    this.#links.set(session.peer.host, newLinkState(session, this.#windowSize));
  }

  removeSession(peer: HostId): void {
    const link = this.#links.get(peer);
    if (link !== undefined) this.#dropLink(link);
    this.#links.delete(peer);
  }

  /** Current transmit epoch towards `peer` (tests watch rekeys with it). */
  txEpoch(peer: HostId): number | undefined {
    return this.#links.get(peer)?.tx.epoch;
  }

  #link(peer: HostId): LinkState | undefined {
    const link = this.#links.get(peer);
    if (link !== undefined || this.#resolve === undefined || peer === this.host) return link;
    const session = this.#resolve(peer);
    if (session === undefined) return undefined;
    assert(session.peer.host === peer, 'resolveSession returned a session with another peer');
    this.addSession(session);
    return this.#links.get(peer);
  }

  #dropLink(link: LinkState): void {
    wipeLinkState(link);
  }

  #bump(name: string): void {
    this.#stats.set(name, (this.#stats.get(name) ?? 0) + 1);
  }

  #reject(reason: RejectReason): null {
    this.#bump('rejected');
    this.#bump(`rejected.${reason}`);
    return null;
  }

  stats(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#stats);
  }

  #key(session: LinkSession, src: HostId, dst: HostId, epoch: number): Uint8Array {
    // Accounted mode never touches key material: experiments with thousands of links skip HKDF too.
    return this.mode === 'real' ? session.trafficKey(src, dst, epoch) : new Uint8Array(0);
  }

  /** Seals for `packet.dst`. Throws LINK_NO_SESSION (never sends plaintext instead) and LINK_KEY_EXHAUSTED. */
  seal(packet: Packet): Packet {
    assert(packet.src === this.host, `host ${this.host} cannot seal a packet from ${packet.src}`);
    if (!this.defences.encrypt) return packet;
    const link = this.#link(packet.dst);
    if (link === undefined) {
      // Defence off: the naive NIC talks in the clear to whoever it never authenticated.
      if (!this.defences.peerAuthentication) return packet;
      throw new EmuError('LINK_NO_SESSION', `no attested session from host ${this.host} to ${packet.dst}`, { dst: packet.dst });
    }
    const { session, tx } = link;
    if (!session.encrypted) return packet;
    this.#advanceTxKey(link);
    const counter = tx.counter % this.#counterLimit;
    const header: SealedHeader = {
      secureLink: 1,
      spi: session.spi,
      epoch: tx.epoch,
      context: session.context(session.txDirection),
      counter,
      hasPayload: packet.payload !== undefined,
      inner: packet.header,
    };
    const plain = packet.payload !== undefined && this.padding !== undefined ? pad(this.padding, packet.payload) : packet.payload;
    const padBytes = (plain?.length ?? 0) - (packet.payload?.length ?? 0);
    let payload = plain;
    if (this.mode === 'real') {
      const nonce = linkNonce(header.epoch, header.context, counter);
      payload = aes256GcmSeal(tx.key!, nonce, plain ?? new Uint8Array(0), linkAad(link, this.defences.aadBinding, this.host, packet.dst, header, packet.kind));
    }
    tx.counter += 1;
    tx.sealedUnderKey += 1;
    this.#bump('sealed');
    const sealed: Packet = {
      src: packet.src,
      dst: packet.dst,
      entropy: packet.entropy,
      kind: packet.kind,
      wireBytes: packet.wireBytes + SECURE_LINK_OVERHEAD_BYTES + padBytes,
      header,
    };
    if (payload !== undefined) sealed.payload = payload;
    if (packet.corrupted === true) sealed.corrupted = true;
    return sealed;
  }

  /** Rekeys before the usage limit; refuses (hard error) anything that would repeat a (key, nonce). */
  #advanceTxKey(link: LinkState): void {
    const { session, tx } = link;
    if (this.defences.rekey) {
      if (tx.counter >= this.#counterLimit) {
        throw new EmuError('LINK_KEY_EXHAUSTED', 'the transmission counter is exhausted: a new handshake is required', { peer: session.peer.host });
      }
      if (tx.key !== undefined && tx.sealedUnderKey >= Math.min(this.#rekeyAfter, this.#usageMax)) {
        if (tx.epoch >= EPOCHS_MAX) {
          throw new EmuError('LINK_KEY_EXHAUSTED', 'every epoch of this session is used: a new handshake is required', { peer: session.peer.host });
        }
        wipe(tx.key);
        tx.key = undefined;
        tx.epoch += 1;
        tx.sealedUnderKey = 0;
        this.#bump('rekeys');
      }
    }
    // Defence off is the naive NIC: one key forever, and the counter field simply wraps (NET-08's negative control).
    if (tx.key === undefined) tx.key = this.#key(session, this.host, session.peer.host, tx.epoch);
  }

  open(packet: Packet): Packet | null {
    if (packet.dst !== this.host) return this.#reject('malformed');
    if (!this.defences.encrypt) return packet;
    const link = this.#link(packet.src);
    if (link === undefined) {
      // Defence off: a NIC that passes traffic from peers it never authenticated (NET-06's negative control).
      return this.defences.peerAuthentication ? this.#reject('unknownPeer') : packet;
    }
    const { session, rx } = link;
    if (!session.encrypted) return packet;
    const header = packet.header;
    if (!isSealedHeader(header)) return isPlainHeader(header) ? this.#reject('plaintext') : this.#reject('malformed');
    if (this.defences.aadBinding) {
      if (header.context === session.context(session.txDirection) && header.spi === session.spi) return this.#reject('reflected');
      if (header.spi !== session.spi || header.context !== session.context(session.directionOf(packet.src))) return this.#reject('spliced');
    }
    const derive = (epoch: number) => this.#key(session, session.peer.host, this.host, epoch);
    const key = rxKeyFor(link, header.epoch, derive);
    if (key === undefined) return this.#reject('badEpoch');
    if (this.defences.antiReplay) {
      const verdict = rx.window.check(header.counter);
      if (verdict !== 'fresh') return this.#reject(verdict);
    }
    let payload: Uint8Array | undefined;
    if (this.mode === 'real') {
      if (packet.payload === undefined) return this.#reject('authFailed');
      const sealedBytes = packet.corrupted === true ? corruptCopy(packet.payload) : packet.payload;
      let aad: Uint8Array;
      try {
        aad = linkAad(link, this.defences.aadBinding, packet.src, this.host, header, packet.kind);
      } catch (error) {
        // No honest peer sealed a header its own encoder refuses (too deep, too big, not plain data).
        if (isEmuError(error, HEADER_UNENCODABLE)) return this.#reject('malformed');
        throw error;
      }
      try {
        const nonce = linkNonce(header.epoch, header.context, header.counter);
        payload = aes256GcmOpen(key, nonce, sealedBytes, aad);
      } catch (error) {
        if (isEmuError(error, 'AEAD_AUTH_FAILED')) return this.#reject('authFailed');
        throw error;
      }
      if (!header.hasPayload) payload = undefined;
    } else {
      // Accounted: the tag is not computed, but a corrupted packet is still the drop a tag failure would be.
      if (packet.corrupted === true) return this.#reject('authFailed');
      payload = packet.payload;
    }
    let padBytes = 0;
    if (payload !== undefined && this.padding !== undefined) {
      // Authenticated already: a bad length here is a peer with another policy, refused like any unparsable frame.
      let inner: Uint8Array;
      try {
        inner = unpad(this.padding, payload);
      } catch (error) {
        if (isEmuError(error, 'LINK_BAD_PADDING')) return this.#reject('malformed');
        throw error;
      }
      padBytes = payload.length - inner.length;
      payload = inner;
    }
    if (this.defences.antiReplay && rx.window.check(header.counter) === 'fresh') rx.window.mark(header.counter);
    commitRxEpoch(link, header.epoch, key, derive);
    this.#bump('opened');
    const opened: Packet = {
      src: packet.src,
      dst: packet.dst,
      entropy: packet.entropy,
      kind: packet.kind,
      wireBytes: packet.wireBytes - SECURE_LINK_OVERHEAD_BYTES - padBytes,
      header: header.inner,
    };
    if (payload !== undefined) opened.payload = payload;
    return opened;
  }
}

function isPlainHeader(header: unknown): boolean {
  return !(typeof header === 'object' && header !== null && 'secureLink' in header);
}

/** A corruption fault flips bits somewhere in the frame; flipping one tag bit is the same for GCM. */
function corruptCopy(sealed: Uint8Array): Uint8Array {
  const copy = sealed.slice();
  if (copy.length > 0) copy[copy.length - 1] = copy[copy.length - 1]! ^ 0x01;
  return copy;
}
