import type { Socket } from 'node:net';
import type { EmuError } from '../errors.ts';
import { encodeFrame, FrameReader } from './framing.ts';

/** Requests a client may have waiting before the server stops reading from it. */
export const PIPELINED_REQUESTS_MAX = 32;

/** How one kind of connection (control, NSM) serves the frames its client sends. */
export interface FrameService {
  /** A larger announced frame loses the framing. */
  readonly frameBytesMax: number;
  /** Names the connection in the log line of a handler that failed past its own error handling. */
  readonly name: string;
  /** Serves one frame; the next waits until this one has settled. */
  handle(frame: Uint8Array): Promise<void>;
  /** The stream lost its framing: nothing after it can be read, so the service replies and closes. */
  framingLost(error: EmuError): void;
  /** False drops a frame as it arrives (a client whose connection became a console stream only listens). */
  accepts?(): boolean;
  log(line: string): void;
}

/** Writes one framed reply, unless the peer is gone or the connection is already ending. */
export function sendFrame(socket: Socket, payload: Uint8Array): void {
  if (!socket.destroyed && !socket.writableEnded) socket.write(encodeFrame(payload));
}

/**
 * Reads a socket's frames and serves them one at a time, in order. A client that pipelines faster than they are
 * served is paused (backpressure), so what waits is bounded by one read's worth of frames.
 */
export function serveFramesInOrder(socket: Socket, service: FrameService): void {
  const reader = new FrameReader(service.frameBytesMax);
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  const enqueue = (frame: Uint8Array) => {
    if (++pending >= PIPELINED_REQUESTS_MAX) socket.pause();
    queue = queue
      .then(() => service.handle(frame))
      .catch((error: unknown) => service.log(`host-server: ${service.name} connection failed: ${String(error)}`))
      .finally(() => {
        if (--pending < PIPELINED_REQUESTS_MAX) socket.resume();
      });
  };

  socket.on('data', (chunk: Buffer) => {
    let frames: Uint8Array[];
    try {
      frames = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (error) {
      // FrameReader throws only its typed HOST_FRAME_TOO_LARGE.
      service.framingLost(error as EmuError);
      return;
    }
    for (const frame of frames) {
      if (service.accepts?.() === false) continue;
      enqueue(frame);
    }
  });
}
