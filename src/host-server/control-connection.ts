import type { Socket } from 'node:net';
import { EmuError, isEmuError } from '../errors.ts';
import { sendFrame, serveFramesInOrder } from './frame-queue.ts';
import {
  HOST_REQUEST_BYTES_MAX,
  decodeRequest,
  encodeConsoleFrame,
  encodeReply,
  errorBody,
  type HostReply,
  type HostRequest,
} from './protocol.ts';
import { parseConsole, parseDescribe, parseNoArgs, parseRunEnclave, parseSelector } from './requests.ts';
import type { ConsoleHandle, ConsoleListener, ServedHost } from './served-host.ts';

/** A console reader that stops reading is cut off rather than buffered without end. */
export const CONSOLE_BACKLOG_BYTES_MAX = 1024 * 1024;

export interface ConnectionLog {
  (line: string): void;
}

/**
 * One client of the control socket. Requests are served one at a time, in order; a bad one gets a typed
 * error reply and the connection stays usable, except when the framing itself is lost (then the reply is
 * followed by a close). A `console` request turns the connection into that console's stream.
 */
export function serveControlConnection(socket: Socket, host: ServedHost, log: ConnectionLog): void {
  let consoleHandle: ConsoleHandle | undefined;
  let streaming = false;

  const send = (payload: Uint8Array) => sendFrame(socket, payload);
  const reply = (request: HostRequest | undefined, body: { ok: true; result: unknown } | { ok: false; error: EmuError }) => {
    const id = request?.id ?? null;
    const message: HostReply = body.ok ? { id, ok: true, result: body.result } : { id, ok: false, error: errorBody(body.error) };
    send(encodeReply(message));
  };

  serveFramesInOrder(socket, {
    frameBytesMax: HOST_REQUEST_BYTES_MAX,
    name: 'control',
    handle,
    framingLost: (error) => {
      reply(undefined, { ok: false, error });
      socket.end();
    },
    // Once streaming a console, the client only listens; anything it sends is ignored.
    accepts: () => !streaming,
    log,
  });
  socket.on('close', () => consoleHandle?.close());
  socket.on('error', () => consoleHandle?.close());

  async function handle(frame: Uint8Array): Promise<void> {
    if (streaming || socket.destroyed) return;
    let request: HostRequest | undefined;
    try {
      request = decodeRequest(frame);
      if (request.op === 'console') {
        const { selector, disconnectTimeoutS } = parseConsole(request.args);
        await startStream(request, async (listener) => {
          consoleHandle = await host.openConsole(selector, disconnectTimeoutS, listener);
          return { Attached: true };
        });
        return;
      }
      if (request.op === 'run-enclave') {
        const run = parseRunEnclave(request.args);
        if (run.attachConsole) {
          await startStream(request, (listener) => host.runEnclave(run, { listener, attached: (handle) => (consoleHandle = handle) }));
          return;
        }
      }
      reply(request, { ok: true, result: await dispatch(host, request) });
    } catch (error) {
      if (!isEmuError(error)) log(`host-server: internal error serving ${request?.op ?? 'a request'}: ${(error as Error)?.stack ?? String(error)}`);
      reply(request, { ok: false, error: isEmuError(error) ? error : new EmuError('HOST_INTERNAL_ERROR', 'the host failed to serve this request') });
      if (streaming) socket.end();
    }
  }

  /**
   * Serves a request whose reply is followed by a console stream (console, run-enclave with attach_console).
   * Console frames that come before the reply wait for it: the client reads the reply first. If the request
   * fails, its early frames are dropped, the error is the last frame and the connection closes.
   */
  async function startStream(request: HostRequest, open: (listener: ConsoleListener) => Promise<unknown>): Promise<void> {
    streaming = true;
    let early: Uint8Array[] | undefined = [];
    let endedEarly = false;
    const stream = (payload: Uint8Array) => (early !== undefined ? early.push(payload) : send(payload));
    const result = await open({
      line: (text) => {
        if (socket.writableLength > CONSOLE_BACKLOG_BYTES_MAX) {
          consoleHandle?.close();
          socket.destroy();
          return;
        }
        stream(encodeConsoleFrame({ console: text }));
      },
      end: (reason) => {
        stream(encodeConsoleFrame({ end: reason }));
        if (early === undefined) socket.end();
        else endedEarly = true;
      },
    });
    reply(request, { ok: true, result });
    const waiting = early;
    early = undefined;
    for (const payload of waiting) send(payload);
    if (endedEarly) socket.end();
  }
}

async function dispatch(host: ServedHost, request: HostRequest): Promise<unknown> {
  switch (request.op) {
    case 'describe-host':
      parseNoArgs(request.args, request.op);
      return host.describeHost();
    case 'run-enclave':
      return host.runEnclave(parseRunEnclave(request.args), null);
    case 'describe-enclaves':
      return host.describeEnclaves(parseDescribe(request.args));
    case 'terminate-enclave':
      return host.terminateEnclave(parseSelector(request.args, request.op, true));
    case 'console':
      throw new EmuError('HOST_BAD_REQUEST', 'console is served as a stream');
  }
}
