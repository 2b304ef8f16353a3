import { EmuError } from '../../errors.ts';
import { HostServer } from '../../host-server/index.ts';
import { optionalInteger } from '../args.ts';
import { untilSignal } from '../signals.ts';
import type { Command } from '../command.ts';
import { hostSocketPath, nsmSocketPath } from './host-socket.ts';

export const hostCommand: Command = {
  name: 'host',
  summary: 'host serve: run one world in real time behind a socket that run-enclave, describe-enclaves, … talk to',
  usage: `nitro-emu host serve [--seed N] [--socket PATH] [--nsm-socket PATH] [--root-out PEM]

Runs the world of seed N (default 1) in real time — virtual now is wall now — with one parent instance,
and serves it on a Unix socket (default $NITRO_EMU_HOST_SOCKET or <tmpdir>/nitro-emu-host.sock) the way
the Nitro driver serves nitro-cli: nitro-emu run-enclave, describe-enclaves, terminate-enclave and console
connect to it. Each enclave's NSM is reachable on a second socket (default PATH.nsm) with the real NSM CBOR
requests and responses (docs/host-server.md). Documents verify against the emulated Nitro root of seed N,
the same root 'nitro-emu attest --seed N' writes (--root-out writes it here too).

The first line on stdout is JSON: {"Socket", "NsmSocket", "Seed", "InstanceID", "NitroRootSha256"}.
SIGTERM or SIGINT terminates the enclaves, removes both socket files and exits 0. A path where another
host already listens is refused (HOST_SOCKET_BUSY); a stale socket file is replaced.`,
  args: { values: ['seed', 'socket', 'nsm-socket', 'root-out'], positionalsMax: 1 },
  async run(args, io) {
    if (args.positionals[0] !== 'serve') throw new EmuError('CLI_BAD_ARGS', 'usage: nitro-emu host serve [--seed N] [--socket PATH]');
    const seed = optionalInteger(args, 'seed', 1);
    const socketPath = hostSocketPath(args);
    const server = await HostServer.start({
      seed,
      socketPath,
      nsmSocketPath: nsmSocketPath(args, socketPath),
      processId: process.pid,
      log: (line) => io.stderr(`${line}\n`),
      onWorldError: (error) => io.stderr(`host serve: an event in the world failed: ${(error as Error)?.message ?? String(error)}\n`),
    });
    const described = await server.host.describeHost();
    const rootOut = args.values.get('root-out');
    if (rootOut !== undefined) io.writeFile(rootOut, described.NitroRootPem);
    io.stdout(
      `${JSON.stringify({ Socket: server.socketPath, NsmSocket: server.nsmSocketPath, Seed: seed, InstanceID: described.InstanceID, NitroRootSha256: described.NitroRootSha256 })}\n`,
    );
    io.stderr(
      `host serve: world ${seed} in real time, parent ${described.InstanceID} (vCPUs ${described.CPUIDs.join(', ')} for enclaves, ${described.MemoryMiB} MiB); ` +
        `control socket ${server.socketPath}, NSM socket ${server.nsmSocketPath}\n`,
    );
    // Signals are the CLI's wiring: the server itself only knows how to close.
    const stop = untilSignal();
    const signal = await stop.stopped;
    stop.dispose();
    io.stderr(`host serve: ${signal}, stopping\n`);
    await server.close();
    return 0;
  },
};
