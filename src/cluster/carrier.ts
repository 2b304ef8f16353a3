// Carries one link-handshake message from one host to another as real frames on the fabric (the enclave hands it
// to its parent's EFA device, which sends it unprotected: there are no keys yet). Frames are checked strictly on
// arrival and only the exchange in progress is accepted; a message that does not arrive after a few attempts is a
// typed failure for that pair. The network attacker's handshake rewriters see each message as it crosses.
import { EmuError } from '../errors.ts';
import { PS_PER_US, type HostId } from '../efa/index.ts';
import type { HandshakeRewriter, HandshakeStep } from './network.ts';
import { HANDSHAKE_FRAME_TAG, type ClusterNics } from './nics.ts';

/** Largest handshake message (a hello with its attestation document is ~5 KB; evidence is capped at 16 KiB). */
export const HANDSHAKE_MESSAGE_BYTES_MAX = 24 * 1024;
const FRAGMENT_BYTES = 4096;
const FRAGMENTS_MAX = Math.ceil(HANDSHAKE_MESSAGE_BYTES_MAX / FRAGMENT_BYTES);
const ATTEMPTS_MAX = 3;
/** How long a sender waits for its message to be taken before it sends it again (fabric time). */
const ATTEMPT_TIMEOUT_PS = 200 * PS_PER_US;
const SLICE_PS = 2 * PS_PER_US;
const STEP_CODES: Readonly<Record<HandshakeStep, number>> = { clientHello: 0, serverHello: 1, finished: 2 };

interface FrameHeader {
  readonly t: typeof HANDSHAKE_FRAME_TAG;
  readonly pair: number;
  readonly step: number;
  readonly attempt: number;
  readonly index: number;
  readonly count: number;
  readonly total: number;
}

interface Expected {
  readonly src: HostId;
  readonly dst: HostId;
  readonly pair: number;
  readonly step: number;
  /** Per attempt: fragments received so far. */
  readonly attempts: Map<number, (Uint8Array | undefined)[]>;
  message: Uint8Array | undefined;
}

export interface HandshakeCarrier {
  /** Sends `message` from rank `from` to rank `to`; returns what arrived (after any rewriting on the way). */
  carry(pair: number, step: HandshakeStep, from: number, to: number, message: Uint8Array): Uint8Array;
  stats(): Readonly<Record<string, number>>;
}

function isUint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max;
}

export function createCarrier(nics: ClusterNics, rewriters: readonly HandshakeRewriter[]): HandshakeCarrier {
  const { fabric } = nics;
  const counters = { framesSent: 0, framesTaken: 0, framesStray: 0, framesMalformed: 0, messagesLost: 0, resends: 0 };
  let expected: Expected | undefined;

  nics.onHandshakeFrame((host, packet) => {
    const h = packet.header as Partial<FrameHeader>;
    const payload = packet.payload;
    if (
      !isUint(h.pair, 0xffff) || !isUint(h.step, 2) || !isUint(h.attempt, ATTEMPTS_MAX - 1) || !isUint(h.count, FRAGMENTS_MAX) || h.count < 1 ||
      !isUint(h.index, h.count - 1) || !isUint(h.total, HANDSHAKE_MESSAGE_BYTES_MAX) || Math.ceil(h.total / FRAGMENT_BYTES) !== Math.max(1, h.count) ||
      !(payload instanceof Uint8Array) || payload.length !== Math.min(FRAGMENT_BYTES, h.total - h.index * FRAGMENT_BYTES)
    ) {
      counters.framesMalformed++;
      return;
    }
    const want = expected;
    if (want === undefined || want.message !== undefined || packet.src !== want.src || host !== want.dst || h.pair !== want.pair || h.step !== want.step) {
      counters.framesStray++;
      return;
    }
    let fragments = want.attempts.get(h.attempt);
    if (fragments === undefined) {
      fragments = new Array<Uint8Array | undefined>(h.count).fill(undefined);
      want.attempts.set(h.attempt, fragments);
    }
    if (fragments.length !== h.count || fragments[h.index] !== undefined) {
      counters.framesStray++;
      return;
    }
    fragments[h.index] = payload.slice();
    counters.framesTaken++;
    if (fragments.every((f) => f !== undefined)) {
      const message = new Uint8Array(h.total);
      fragments.forEach((f, i) => message.set(f!, i * FRAGMENT_BYTES));
      want.message = message;
    }
  });

  const send = (src: HostId, dst: HostId, pair: number, step: number, attempt: number, message: Uint8Array): void => {
    const count = Math.max(1, Math.ceil(message.length / FRAGMENT_BYTES));
    for (let index = 0; index < count; index++) {
      const payload = message.slice(index * FRAGMENT_BYTES, (index + 1) * FRAGMENT_BYTES);
      const header: FrameHeader = { t: HANDSHAKE_FRAME_TAG, pair, step, attempt, index, count, total: message.length };
      // One path per pair and step: a handshake has no reason to spray.
      fabric.send({ src, dst, entropy: (pair * 3 + step) & 0xffff, kind: 'data', wireBytes: payload.length + fabric.config.headerBytes, header, payload });
      counters.framesSent++;
    }
  };

  return {
    carry(pair, stepName, from, to, message) {
      const src = nics.hostOfRank[from]!;
      const dst = nics.hostOfRank[to]!;
      if (message.length < 1 || message.length > HANDSHAKE_MESSAGE_BYTES_MAX) {
        throw new EmuError('LINK_HANDSHAKE_MALFORMED', `a handshake message must be 1…${HANDSHAKE_MESSAGE_BYTES_MAX} bytes`, { bytes: message.length });
      }
      const step = STEP_CODES[stepName];
      const want: Expected = { src, dst, pair, step, attempts: new Map(), message: undefined };
      expected = want;
      try {
        for (let attempt = 0; attempt < ATTEMPTS_MAX && want.message === undefined; attempt++) {
          if (attempt > 0) counters.resends++;
          send(src, dst, pair, step, attempt, message);
          const deadline = fabric.now + ATTEMPT_TIMEOUT_PS;
          while (want.message === undefined && fabric.now < deadline) fabric.run({ untilPs: Math.min(deadline, fabric.now + SLICE_PS) });
        }
      } finally {
        expected = undefined;
      }
      let arrived = want.message;
      if (arrived === undefined) {
        counters.messagesLost++;
        throw new EmuError('CLUSTER_HANDSHAKE_LOST', `the ${stepName} from rank ${from} to rank ${to} never arrived (${ATTEMPTS_MAX} attempts)`, { from, to, step: stepName });
      }
      for (const rewrite of rewriters) {
        const next: unknown = rewrite(arrived.slice(), stepName, from, to);
        if (!(next instanceof Uint8Array) || next.length > HANDSHAKE_MESSAGE_BYTES_MAX) {
          throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'the message that arrived is not a handshake message', { step: stepName });
        }
        arrived = next;
      }
      return arrived;
    },
    stats: () => ({ ...counters }),
  };
}
