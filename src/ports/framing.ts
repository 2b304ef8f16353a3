import { EmuError } from '../errors.ts';
import type { PipeEnd } from './stream.ts';

/** Bound on one framed message; bulk data is split by the sender. */
export const FRAME_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Length-prefixed messages (u32 big-endian) over a pipe, so protocols above never depend on how
 * the transport happened to chunk bytes.
 */
export class FramedConnection {
  readonly end: PipeEnd;
  #pending = new Uint8Array(0);

  constructor(end: PipeEnd) {
    this.end = end;
  }

  send(message: Uint8Array): void {
    if (message.length > FRAME_BYTES_MAX) {
      throw new EmuError('PORT_FRAME_TOO_LARGE', `message of ${message.length} bytes exceeds ${FRAME_BYTES_MAX}`);
    }
    const framed = new Uint8Array(4 + message.length);
    new DataView(framed.buffer).setUint32(0, message.length);
    framed.set(message, 4);
    this.end.send(framed);
  }

  /** The next whole message, or null when the peer closed cleanly between messages. */
  async receive(): Promise<Uint8Array | null> {
    for (;;) {
      const message = this.#take();
      if (message !== undefined) return message;
      const chunk = await this.end.read();
      if (chunk === null) {
        if (this.#pending.length === 0) return null;
        throw new EmuError('PORT_FRAME_TRUNCATED', `${this.end.channel}: connection closed inside a message`);
      }
      const merged = new Uint8Array(this.#pending.length + chunk.length);
      merged.set(this.#pending);
      merged.set(chunk, this.#pending.length);
      this.#pending = merged;
    }
  }

  close(): void {
    this.end.close();
  }

  #take(): Uint8Array | undefined {
    if (this.#pending.length < 4) return undefined;
    const length = new DataView(this.#pending.buffer, this.#pending.byteOffset).getUint32(0);
    if (length > FRAME_BYTES_MAX) throw new EmuError('PORT_FRAME_TOO_LARGE', `${this.end.channel}: announced ${length} bytes`);
    if (this.#pending.length < 4 + length) return undefined;
    const message = this.#pending.slice(4, 4 + length);
    this.#pending = this.#pending.slice(4 + length);
    return message;
  }
}
