import { EmuError, assert, isEmuError } from '../../errors.ts';
import { aes256GcmOpen, aes256GcmSeal, utf8, wipe } from '../../crypto/index.ts';
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
import { KIND_CODE, type SealedHeader, isSealedHeader, linkNonce } from './envelope.ts';
import { encodeTransportHeader } from './header-encoding.ts';
import { ReplayWindow } from './replay-window.ts';
import type { LinkSession } from './session.ts';

export type ProtectorMode = 'real' | 'accounted';

/** Why a packet was refused; each has its own counter in stats() (`rejected.<reason>`). */
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
}

interface TxState {
  epoch: number;
  key: Uint8Array | undefined;
  sealedUnderKey: number;
  counter: number;
}

interface RxState {
  epoch: number;
  keys: Map<number, Uint8Array>;
  readonly window: ReplayWindow;
}

interface Link {
  readonly session: LinkSession;
  readonly jobBytes: Uint8Array;
  readonly tx: TxState;
  readonly rx: RxState;
}

const LINKS_MAX = 1 << 16;
const EPOCH_AHEAD_MAX = 4;
const EMPTY = new Uint8Array(0);
const AAD_LABEL = utf8('nitro-emu efa-link v1 aad');

/**
 * The PacketProtector of one host's NIC: one LinkSession per peer. seal() gives every transmission (retransmissions
 * included) a fresh counter, so (key, nonce) never repeats; open() checks, in order: addressing, session, link
 * binding, epoch, replay window, tag — and only a packet that passes all of them moves the window or the epoch.
 */
export class SecureLinkProtector implements PacketProtector {
  readonly host: HostId;
  readonly mode: ProtectorMode;
  readonly defences: SecureLinkDefences;
  readonly #links = new Map<HostId, Link>();
  readonly #rekeyAfter: number;
  readonly #usageMax: number;
  readonly #windowSize: number;
  readonly #counterLimit: number;
  readonly #stats = new Map<string, number>();
  readonly #resolve: ((peer: HostId) => LinkSession | undefined) | undefined;

  constructor(options: SecureLinkProtectorOptions) {
    this.host = options.host;
    this.mode = options.mode ?? 'real';
    this.defences = options.defences ?? DEFAULT_DEFENCES;
    this.#rekeyAfter = options.rekeyAfterPackets ?? REKEY_AFTER_PACKETS_DEFAULT;
    this.#usageMax = Math.min(options.keyUsagePacketsMax ?? KEY_USAGE_PACKETS_MAX, KEY_USAGE_PACKETS_MAX);
    this.#windowSize = options.replayWindow ?? REPLAY_WINDOW_DEFAULT;
    this.#resolve = options.resolveSession;
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
    this.#links.set(session.peer.host, {
      session,
      jobBytes: utf8(session.jobId),
      tx: { epoch: 0, key: undefined, sealedUnderKey: 0, counter: 0 },
      rx: { epoch: 0, keys: new Map(), window: new ReplayWindow(this.#windowSize) },
    });
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

  #link(peer: HostId): Link | undefined {
    const link = this.#links.get(peer);
    if (link !== undefined || this.#resolve === undefined || peer === this.host) return link;
    const session = this.#resolve(peer);
    if (session === undefined) return undefined;
    assert(session.peer.host === peer, 'resolveSession returned a session with another peer');
    this.addSession(session);
    return this.#links.get(peer);
  }

  #dropLink(link: Link): void {
    if (link.tx.key !== undefined) wipe(link.tx.key);
    for (const key of link.rx.keys.values()) wipe(key);
    link.session.wipe();
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

  /**
   * AAD = label ‖ epoch ‖ context ‖ counter ‖ kind ‖ hasPayload ‖ [spi ‖ src ‖ dst ‖ direction ‖ job] ‖ transport
   * header. src/dst come from the session (who we believe sent it), never from the packet, so a frame moved to another
   * link fails its tag. With aadBinding off the bracketed part is left out: the naive design NET-09 attacks.
   */
  #aad(link: Link, src: HostId, dst: HostId, header: SealedHeader, kind: Packet['kind']): Uint8Array {
    const headerBytes = encodeTransportHeader(header.inner);
    const bound = this.defences.aadBinding;
    const job = bound ? link.jobBytes : EMPTY;
    const fixedBytes = bound ? 32 : 16;
    const out = new Uint8Array(AAD_LABEL.length + fixedBytes + job.length + headerBytes.length);
    out.set(AAD_LABEL, 0);
    const view = new DataView(out.buffer, AAD_LABEL.length, fixedBytes);
    view.setUint16(0, header.epoch);
    view.setUint16(2, header.context);
    view.setUint32(4, Math.floor(header.counter / 2 ** 32));
    view.setUint32(8, header.counter >>> 0);
    view.setUint8(12, KIND_CODE[kind]);
    view.setUint8(13, header.hasPayload ? 1 : 0);
    if (bound) {
      view.setUint32(16, header.spi);
      view.setUint32(20, src);
      view.setUint32(24, dst);
      view.setUint8(28, link.session.directionOf(src));
      view.setUint16(30, job.length);
    }
    out.set(job, AAD_LABEL.length + fixedBytes);
    out.set(headerBytes, AAD_LABEL.length + fixedBytes + job.length);
    return out;
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
    let payload = packet.payload;
    if (this.mode === 'real') {
      const nonce = linkNonce(header.epoch, header.context, counter);
      payload = aes256GcmSeal(tx.key!, nonce, packet.payload ?? new Uint8Array(0), this.#aad(link, this.host, packet.dst, header, packet.kind));
    }
    tx.counter += 1;
    tx.sealedUnderKey += 1;
    this.#bump('sealed');
    const sealed: Packet = {
      src: packet.src,
      dst: packet.dst,
      entropy: packet.entropy,
      kind: packet.kind,
      wireBytes: packet.wireBytes + SECURE_LINK_OVERHEAD_BYTES,
      header,
    };
    if (payload !== undefined) sealed.payload = payload;
    if (packet.corrupted === true) sealed.corrupted = true;
    return sealed;
  }

  /** Rekeys before the usage limit; refuses (hard error) anything that would repeat a (key, nonce). */
  #advanceTxKey(link: Link): void {
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
    const key = this.#rxKey(link, header.epoch);
    if (key === undefined) return this.#reject('badEpoch');
    if (this.defences.antiReplay) {
      const verdict = rx.window.check(header.counter);
      if (verdict !== 'fresh') return this.#reject(verdict);
    }
    let payload: Uint8Array | undefined;
    if (this.mode === 'real') {
      if (packet.payload === undefined) return this.#reject('authFailed');
      const sealedBytes = packet.corrupted === true ? corruptCopy(packet.payload) : packet.payload;
      try {
        const nonce = linkNonce(header.epoch, header.context, header.counter);
        payload = aes256GcmOpen(key, nonce, sealedBytes, this.#aad(link, packet.src, this.host, header, packet.kind));
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
    if (this.defences.antiReplay && rx.window.check(header.counter) === 'fresh') rx.window.mark(header.counter);
    this.#commitEpoch(link, header.epoch, key);
    this.#bump('opened');
    const opened: Packet = {
      src: packet.src,
      dst: packet.dst,
      entropy: packet.entropy,
      kind: packet.kind,
      wireBytes: packet.wireBytes - SECURE_LINK_OVERHEAD_BYTES,
      header: header.inner,
    };
    if (payload !== undefined) opened.payload = payload;
    return opened;
  }

  /**
   * The receive key for `epoch`: the current one, the previous one (late reordered packets), or one up to
   * EPOCH_AHEAD_MAX ahead: the peer rekeys without telling us, and if a whole epoch's packets were lost (NET-05)
   * we must still follow, or the link would die with no error.
   */
  #rxKey(link: Link, epoch: number): Uint8Array | undefined {
    const { session, rx } = link;
    if (epoch < rx.epoch - 1 || epoch > rx.epoch + EPOCH_AHEAD_MAX) return undefined;
    let key = rx.keys.get(epoch);
    if (key !== undefined) return key;
    if (epoch < rx.epoch) return undefined;
    // Derived tentatively; a future epoch's key is kept only once a packet authenticates under it (#commitEpoch).
    key = this.#key(session, session.peer.host, this.host, epoch);
    if (epoch === rx.epoch) rx.keys.set(epoch, key);
    return key;
  }

  #commitEpoch(link: Link, epoch: number, key: Uint8Array): void {
    const { rx } = link;
    if (epoch <= rx.epoch) return;
    for (const [old, oldKey] of rx.keys) {
      if (old < epoch - 1) {
        wipe(oldKey);
        rx.keys.delete(old);
      }
    }
    rx.keys.set(epoch, key);
    // After a jump, the epoch just before is where late reordered packets still come from.
    if (!rx.keys.has(epoch - 1)) rx.keys.set(epoch - 1, this.#key(link.session, link.session.peer.host, this.host, epoch - 1));
    rx.epoch = epoch;
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
