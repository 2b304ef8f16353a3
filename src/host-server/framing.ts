import { EmuError } from '../errors.ts';

/**
 * Both sockets of a served host carry frames: a u32 big-endian length, then that many bytes. A stream
 * socket chunks bytes as it likes; the frame is the unit a request or a reply is.
 */
export const FRAME_HEADER_BYTES = 4;

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Collects chunks into whole frames. A header announcing more than `frameBytesMax` is refused before
 * anything is buffered (a garbage header cannot make the server allocate gigabytes); after that the
 * stream has lost its framing, so the reader stays failed and the connection must close.
 */
export class FrameReader {
  readonly frameBytesMax: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #failed: EmuError | undefined;

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax;
  }

  /** Whole frames completed by this chunk, in order. Throws HOST_FRAME_TOO_LARGE once, and on every later call. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed !== undefined) throw this.#failed;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Uint8Array[] = [];
    // Each pass takes one frame, so the loop is bounded by the bytes buffered.
    while (this.#buffered >= FRAME_HEADER_BYTES) {
      const header = this.#peek(FRAME_HEADER_BYTES);
      const length = new DataView(header.buffer, header.byteOffset).getUint32(0);
      if (length > this.frameBytesMax) {
        this.#failed = new EmuError('HOST_FRAME_TOO_LARGE', `a frame announced ${length} bytes; at most ${this.frameBytesMax} are accepted`);
        this.#chunks = [];
        this.#buffered = 0;
        throw this.#failed;
      }
      if (this.#buffered < FRAME_HEADER_BYTES + length) break;
      frames.push(this.#take(FRAME_HEADER_BYTES + length).slice(FRAME_HEADER_BYTES));
    }
    return frames;
  }

  /** Bytes of an unfinished frame (a peer that closes with some left sent a truncated frame). */
  get pendingBytes(): number {
    return this.#buffered;
  }

  #peek(count: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length >= count) return first.subarray(0, count);
    return this.#merge().subarray(0, count);
  }

  #take(count: number): Uint8Array {
    const all = this.#merge();
    const taken = all.subarray(0, count);
    const rest = all.subarray(count);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }

  #merge(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0]!;
    const merged = new Uint8Array(this.#buffered);
    let at = 0;
    for (const chunk of this.#chunks) {
      merged.set(chunk, at);
      at += chunk.length;
    }
    this.#chunks = [merged];
    return merged;
  }
}
