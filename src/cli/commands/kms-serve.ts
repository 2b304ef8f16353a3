import { sha256Hex } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import { DEFAULT_ACCESS_KEYS, parseAccessKeysJson, startKmsServer, type AccessKeyTable } from '../../kms-server/index.ts';
import { optionalInteger, type ArgSpec, type ParsedArgs } from '../args.ts';
import { untilSignal } from '../signals.ts';
import { readText, type CommandIo } from '../command.ts';

export const KMS_SERVE_ARGS = {
  values: ['host', 'port', 'seed', 'state', 'access-keys'],
  booleans: ['no-verify-signatures', 'log'],
} as const satisfies ArgSpec;

export const KMS_SERVE_USAGE = `nitro-emu kms serve [--host H] [--port P] [--seed N] [--state FILE] [--access-keys FILE]
                    [--no-verify-signatures] [--log]

Serves the emulated KMS over HTTP with the AWS JSON 1.1 protocol, so the unmodified AWS SDK and CLI work
against it (endpoint = the URL printed as the first line on stdout). Key release with a Recipient checks
the attestation document against the emulated Nitro root of world N (the root 'nitro-emu attest --seed N'
writes), then the key policy. Runs in real time; SIGTERM or SIGINT stops it cleanly.

  --host H            address to listen on (default 127.0.0.1)
  --port P            TCP port, 0 picks a free one (default 0)
  --seed N            world whose Nitro root is trusted (default 1)
  --state FILE        keep keys, aliases, policies and grants in FILE (created if missing, rewritten
                      atomically after every change; a corrupted or truncated file is refused, untouched)
  --access-keys FILE  JSON {"AKID": {"arn": "...", "secretAccessKey": "..."}} replacing the built-in keys
  --no-verify-signatures  accept any SigV4 signature (the access key id alone names the caller)
  --log               the KMS's trace as pino JSON lines (virtual time) on stderr

Built-in access keys (emulator credentials, printed at start): ${DEFAULT_ACCESS_KEYS.map((k) => k.accessKeyId).join(', ')}.
See docs/kms-server.md.`;

const PORT_MAX = 65_535;

function accessKeys(args: ParsedArgs, io: CommandIo): AccessKeyTable | undefined {
  const path = args.values.get('access-keys');
  if (path === undefined) return undefined;
  return parseAccessKeysJson(readText(io, path));
}

export async function runKmsServe(args: ParsedArgs, io: CommandIo): Promise<number> {
  if (args.positionals.length > 1) throw new EmuError('CLI_BAD_ARGS', `unexpected argument ${JSON.stringify(args.positionals[1])}`);
  const seed = optionalInteger(args, 'seed', 1);
  const port = optionalInteger(args, 'port', 0, PORT_MAX);
  const host = args.values.get('host') ?? '127.0.0.1';
  if (host.length === 0 || host.length > 255) throw new EmuError('CLI_BAD_ARGS', '--host needs an address');
  const statePath = args.values.get('state');
  if (statePath === '') throw new EmuError('CLI_BAD_ARGS', '--state needs a file name');
  const table = accessKeys(args, io);
  const signal = untilSignal();
  let failure: unknown;
  let wake = (): void => undefined;
  const failed = new Promise<void>((resolve) => (wake = resolve));
  let server;
  try {
    server = await startKmsServer({
      seed,
      host,
      port,
      ...(statePath === undefined ? {} : { statePath }),
      ...(table === undefined ? {} : { accessKeys: table }),
      verifySignatures: !args.booleans.has('no-verify-signatures'),
      log: args.booleans.has('log') ? 'stderr' : 'silent',
      onFatal: (error) => {
        failure = error;
        wake();
      },
    });
  } catch (error) {
    signal.dispose();
    throw error;
  }
  io.stdout(`${server.url}\n`);
  const keys = table === undefined ? DEFAULT_ACCESS_KEYS : [...table.values()];
  io.stderr(
    `nitro-emu kms serve: listening on ${server.url} (AWS JSON 1.1, region us-east-1)\n` +
      `trusting the emulated Nitro root of seed ${seed} (SHA-256 ${sha256Hex(server.rootDer)})\n` +
      (statePath === undefined ? 'state: in memory only\n' : `state: ${statePath} (start ${server.boots})\n`) +
      `signatures: ${args.booleans.has('no-verify-signatures') ? 'not verified' : 'SigV4 verified'}\n` +
      `access keys:\n${keys
        .slice(0, 20)
        .map((k) => `  ${k.accessKeyId}  ${table === undefined ? k.secretAccessKey : '(secret from file)'}  ${k.arn}\n`)
        .join('')}`,
  );
  const how = await Promise.race([signal.stopped, failed.then(() => 'failure')]);
  signal.dispose();
  await server.close();
  if (how === 'failure') {
    io.stderr(`nitro-emu kms serve: stopped: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    return 70;
  }
  io.stderr(`nitro-emu kms serve: ${how}, stopped after ${server.requestsServed()} request(s)\n`);
  return 0;
}
