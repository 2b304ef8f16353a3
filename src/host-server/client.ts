import { connect, type Socket } from 'node:net';
import { EmuError } from '../errors.ts';
import { encodeFrame, FrameReader } from './framing.ts';
import {
  HOST_REPLY_BYTES_MAX,
  decodeConsoleFrame,
  decodeReply,
  encodeRequest,
  type ConsoleEndReason,
  type HostOp,
} from './protocol.ts';

/** How a console stream ended: the server said why, or the connection just closed. */
export type ConsoleOutcome = ConsoleEndReason | 'closed';

/**
 * The nitro-cli side of the control socket: one request at a time, replies in order. Errors the host
 * reports come back as EmuErrors with the host's code, so the CLI prints them like its own.
 */
export class HostClient {
  readonly #socket: Socket;
  readonly #reader = new FrameReader(HOST_REPLY_BYTES_MAX);
  readonly #frames: Uint8Array[] = [];
  #waiter: ((frame: Uint8Array | null) => void) | undefined;
  #ended = false;
  #failure: EmuError | undefined;
  #nextId = 1;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.#reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) this.#deliver(frame);
      } catch (error) {
        this.#failure = error as EmuError;
        socket.destroy();
      }
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#deliver(null);
    });
    socket.on('error', () => undefined);
  }

  static connect(socketPath: string): Promise<HostClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      socket.once('connect', () => resolve(new HostClient(socket)));
      socket.once('error', (error: NodeJS.ErrnoException) => {
        const notRunning = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
        reject(
          new EmuError(
            notRunning ? 'HOST_NOT_RUNNING' : 'HOST_SOCKET_UNUSABLE',
            notRunning ? `no host is serving on ${socketPath} (start one with: nitro-emu host serve --socket ${socketPath})` : `cannot connect to ${socketPath}: ${error.code ?? error.message}`,
          ),
        );
      });
    });
  }

  /** Sends one request and returns its result; an error reply throws the host's EmuError. */
  async request(op: HostOp, args: Readonly<Record<string, unknown>> = {}): Promise<unknown> {
    const id = this.#nextId++;
    this.#socket.write(encodeFrame(encodeRequest({ id, op, args })));
    const frame = await this.#next();
    if (frame === null) throw this.#failure ?? new EmuError('HOST_CONNECTION_LOST', 'the host closed the connection without a reply');
    const reply = decodeReply(frame);
    if (!reply.ok) throw new EmuError(reply.error.code, reply.error.message);
    if (reply.id !== id) throw new EmuError('HOST_BAD_REPLY', `reply to request ${String(reply.id)} while waiting for ${id}`);
    return reply.result;
  }

  /** Attaches to a console and hands each line to `onLine` until the stream ends. */
  async streamConsole(args: Readonly<Record<string, unknown>>, onLine: (line: string) => void): Promise<ConsoleOutcome> {
    await this.request('console', args);
    return this.#readConsole(onLine);
  }

  /** run-enclave with the console attached from boot: `onRun` gets the run JSON, then `onLine` every line. */
  async runWithConsole(args: Readonly<Record<string, unknown>>, onRun: (info: unknown) => void, onLine: (line: string) => void): Promise<ConsoleOutcome> {
    onRun(await this.request('run-enclave', { ...args, attach_console: true }));
    return this.#readConsole(onLine);
  }

  async #readConsole(onLine: (line: string) => void): Promise<ConsoleOutcome> {
    // A stream is bounded by the server's end frame or the connection closing.
    for (;;) {
      const frame = await this.#next();
      if (frame === null) return 'closed';
      const message = decodeConsoleFrame(frame);
      if ('end' in message) return message.end;
      onLine(message.console);
    }
  }

  close(): void {
    this.#socket.end();
  }

  #deliver(frame: Uint8Array | null): void {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter(frame);
    } else if (frame !== null) this.#frames.push(frame);
  }

  #next(): Promise<Uint8Array | null> {
    const frame = this.#frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.#waiter = resolve));
  }
}
