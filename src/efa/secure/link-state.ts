import { utf8, wipe } from '../../crypto/index.ts';
import type { HostId, Packet } from '../contracts.ts';
import { KIND_CODE, type SealedHeader } from './envelope.ts';
import { encodeTransportHeader } from './header-encoding.ts';
import { ReplayWindow } from './replay-window.ts';
import type { LinkSession } from './session.ts';

// Per-link state of a protector: transmit key and counter, receive keys by epoch and the replay window.

export interface TxState {
  epoch: number;
  key: Uint8Array | undefined;
  sealedUnderKey: number;
  /** Every transmission's number on this link, across epochs (so one replay window covers rekeys). */
  counter: number;
}

export interface RxState {
  epoch: number;
  readonly keys: Map<number, Uint8Array>;
  readonly window: ReplayWindow;
}

export interface LinkState {
  readonly session: LinkSession;
  readonly jobBytes: Uint8Array;
  readonly tx: TxState;
  readonly rx: RxState;
}

/** How far ahead of our receive epoch a peer may be (it rekeys without telling us). */
export const EPOCH_AHEAD_MAX = 4;
const EMPTY = new Uint8Array(0);
const AAD_LABEL = utf8('nitro-emu efa-link v1 aad');

export function newLinkState(session: LinkSession, windowSize: number): LinkState {
  return {
    session,
    jobBytes: utf8(session.jobId),
    tx: { epoch: 0, key: undefined, sealedUnderKey: 0, counter: 0 },
    rx: { epoch: 0, keys: new Map(), window: new ReplayWindow(windowSize) },
  };
}

export function wipeLinkState(link: LinkState): void {
  if (link.tx.key !== undefined) wipe(link.tx.key);
  for (const key of link.rx.keys.values()) wipe(key);
  link.rx.keys.clear();
  link.session.wipe();
}

/**
 * AAD = label ‖ epoch ‖ context ‖ counter ‖ kind ‖ hasPayload ‖ [spi ‖ src ‖ dst ‖ direction ‖ job] ‖ transport
 * header. src/dst come from the session (who we believe sent it), never from the packet, so a frame moved to another
 * link fails its tag. With aadBinding off the bracketed part is left out: the naive design NET-09 attacks.
 */
export function linkAad(link: LinkState, bound: boolean, src: HostId, dst: HostId, header: SealedHeader, kind: Packet['kind']): Uint8Array {
  const headerBytes = encodeTransportHeader(header.inner);
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

/**
 * The receive key for `epoch`: the current one, the previous one (late reordered packets), or one up to
 * EPOCH_AHEAD_MAX ahead: the peer rekeys without telling us, and if a whole epoch's packets were lost (NET-05)
 * we must still follow, or the link would die with no error. `derive(epoch)` gives the peer → us key.
 */
export function rxKeyFor(link: LinkState, epoch: number, derive: (epoch: number) => Uint8Array): Uint8Array | undefined {
  const { rx } = link;
  if (epoch < rx.epoch - 1 || epoch > rx.epoch + EPOCH_AHEAD_MAX) return undefined;
  const held = rx.keys.get(epoch);
  if (held !== undefined) return held;
  if (epoch < rx.epoch) return undefined;
  // Derived tentatively; a future epoch's key is kept only once a packet authenticates under it (commitRxEpoch).
  const key = derive(epoch);
  if (epoch === rx.epoch) rx.keys.set(epoch, key);
  return key;
}

/** After a packet of `epoch` authenticated: move forward, keeping only that epoch and the one before. */
export function commitRxEpoch(link: LinkState, epoch: number, key: Uint8Array, derive: (epoch: number) => Uint8Array): void {
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
  if (!rx.keys.has(epoch - 1)) rx.keys.set(epoch - 1, derive(epoch - 1));
  rx.epoch = epoch;
}
