import { createServer, type Server, type Socket } from 'node:net';
import { EmuError } from '../errors.ts';
import { serveControlConnection } from './control-connection.ts';
import { serveNsmConnection } from './nsm-channel.ts';
import { ServedHost, type ServedHostOptions } from './served-host.ts';
import { claimSocketPath, releaseSocketPath, restrictToOwner } from './socket-path.ts';

/** Clients served at once on each socket; more are turned away (a client loop cannot exhaust the server). */
export const HOST_CONNECTIONS_MAX = 256;

export interface HostServerOptions extends ServedHostOptions {
  readonly socketPath: string;
  readonly nsmSocketPath: string;
  /** Diagnostics (internal errors); the CLI writes them to stderr. */
  readonly log?: (line: string) => void;
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new EmuError(error.code === 'EADDRINUSE' ? 'HOST_SOCKET_BUSY' : 'HOST_SOCKET_UNUSABLE', `cannot listen on ${path}: ${error.code ?? error.message}`)),
    );
    server.listen(path, () => resolve());
  });
}

/**
 * `nitro-emu host serve`: a ServedHost behind two Unix sockets, the control socket (nitro-cli's operations)
 * and the NSM socket (raw NSM requests per enclave). Both files are the server's: made owner-only, and
 * removed when it stops.
 */
export class HostServer {
  readonly host: ServedHost;
  readonly socketPath: string;
  readonly nsmSocketPath: string;
  readonly #servers: Server[];
  /** Open client connections (shared with the accept handlers). */
  readonly #sockets: Set<Socket>;
  #closing: Promise<void> | undefined;

  private constructor(host: ServedHost, options: HostServerOptions, servers: Server[], sockets: Set<Socket>) {
    this.host = host;
    this.socketPath = options.socketPath;
    this.nsmSocketPath = options.nsmSocketPath;
    this.#servers = servers;
    this.#sockets = sockets;
  }

  static async start(options: HostServerOptions): Promise<HostServer> {
    if (options.socketPath === options.nsmSocketPath) throw new EmuError('HOST_SOCKET_UNUSABLE', 'the control and NSM sockets need two paths');
    // Both paths are checked before either is taken, so a busy one leaves the other as it was.
    await claimSocketPath(options.socketPath);
    await claimSocketPath(options.nsmSocketPath);
    const log = options.log ?? (() => undefined);
    const host = new ServedHost(options);
    const sockets = new Set<Socket>();
    const accept = (serve: (socket: Socket) => void) => (socket: Socket) => {
      if (sockets.size >= HOST_CONNECTIONS_MAX) {
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      serve(socket);
    };
    const control = createServer(accept((socket) => serveControlConnection(socket, host, log)));
    const nsm = createServer(accept((socket) => serveNsmConnection(socket, host, log)));
    control.maxConnections = HOST_CONNECTIONS_MAX;
    nsm.maxConnections = HOST_CONNECTIONS_MAX;
    try {
      await listen(control, options.socketPath);
      restrictToOwner(options.socketPath);
      await listen(nsm, options.nsmSocketPath);
      restrictToOwner(options.nsmSocketPath);
    } catch (error) {
      control.close();
      nsm.close();
      releaseSocketPath(options.socketPath);
      releaseSocketPath(options.nsmSocketPath);
      await host.stop();
      throw error;
    }
    // After listening, a server error (out of descriptors, say) is reported, never an uncaught crash.
    for (const server of [control, nsm]) server.on('error', (error: Error) => log(`host-server: ${error.message}`));
    return new HostServer(host, options, [control, nsm], sockets);
  }

  /** Stops accepting, ends every console (`server-stopping`), terminates the enclaves, removes both socket files. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const server of this.#servers) server.close();
      await this.host.stop();
      // The console end frames drain before each socket goes.
      for (const socket of [...this.#sockets]) socket.end(() => socket.destroy());
      releaseSocketPath(this.socketPath);
      releaseSocketPath(this.nsmSocketPath);
    })();
    return this.#closing;
  }
}
