import { toBase64 } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import { HostClient, type ConsoleOutcome } from '../../host-server/index.ts';
import type { ParsedArgs } from '../args.ts';
import { printJson, type Command, type CommandIo } from '../command.ts';
import { hostSocketPath } from './host-socket.ts';

// nitro-cli's commands against a running `nitro-emu host serve` (research §3.1): same flags, same JSON.

async function withHost<T>(args: ParsedArgs, work: (client: HostClient) => Promise<T>): Promise<T> {
  const client = await HostClient.connect(hostSocketPath(args));
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new EmuError('CLI_BAD_ARGS', `--${flag} takes a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** The run request from flags, or from a --config file with nitro-cli's keys. */
function runArguments(args: ParsedArgs, io: CommandIo): { request: Record<string, unknown>; attachConsole: boolean } {
  const flags = ['eif-path', 'memory', 'cpu-count', 'cpu-ids', 'enclave-cid', 'enclave-name'].filter((f) => args.values.has(f));
  const switches = ['debug-mode', 'attach-console'].filter((f) => args.booleans.has(f));
  const configPath = args.values.get('config');
  let config: Record<string, unknown>;
  if (configPath !== undefined) {
    if (flags.length + switches.length > 0) throw new EmuError('CLI_BAD_ARGS', `--config cannot be combined with --${[...flags, ...switches][0]}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(io.readFile(configPath)));
    } catch (error) {
      if (error instanceof EmuError) throw error;
      throw new EmuError('CLI_BAD_INPUT', `${configPath} is not UTF-8 JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new EmuError('CLI_BAD_INPUT', `${configPath} is not a JSON object`);
    config = { ...(parsed as Record<string, unknown>) };
  } else {
    const eifPath = args.values.get('eif-path');
    const memory = args.values.get('memory');
    if (eifPath === undefined || memory === undefined) throw new EmuError('CLI_BAD_ARGS', 'run-enclave needs --eif-path and --memory (or --config)');
    const count = args.values.get('cpu-count');
    const ids = args.values.get('cpu-ids');
    if ((count === undefined) === (ids === undefined)) throw new EmuError('CLI_BAD_ARGS', 'give exactly one of --cpu-count and --cpu-ids');
    const cid = args.values.get('enclave-cid');
    const name = args.values.get('enclave-name');
    config = {
      eif_path: eifPath,
      memory_mib: wholeNumber(memory, 'memory'),
      ...(count !== undefined ? { cpu_count: wholeNumber(count, 'cpu-count') } : {}),
      ...(ids !== undefined ? { cpu_ids: ids.split(/[,\s]+/).filter((s) => s !== '').map((s) => wholeNumber(s, 'cpu-ids')) } : {}),
      ...(cid !== undefined ? { enclave_cid: wholeNumber(cid, 'enclave-cid') } : {}),
      ...(name !== undefined ? { enclave_name: name } : {}),
      debug_mode: args.booleans.has('debug-mode'),
      attach_console: args.booleans.has('attach-console'),
    };
  }
  const { eif_path: eifPath, attach_console: attach = false, ...rest } = config;
  if (typeof eifPath !== 'string') throw new EmuError('CLI_BAD_INPUT', 'eif_path must name the image file');
  if (typeof attach !== 'boolean') throw new EmuError('CLI_BAD_INPUT', 'attach_console must be true or false');
  // nitro-cli: the console is only connected in debug mode, so attaching to a production enclave is refused up front.
  if (attach && rest['debug_mode'] !== true) throw new EmuError('CLI_BAD_ARGS', '--attach-console needs --debug-mode');
  return { request: { ...rest, eif: toBase64(io.readFile(eifPath)) }, attachConsole: attach };
}

function consoleClosed(outcome: ConsoleOutcome): string {
  return outcome === 'terminated' ? 'The enclave was terminated; console closed.\n' : `Console closed (${outcome}).\n`;
}

async function streamConsole(client: HostClient, io: CommandIo, selector: Record<string, unknown>): Promise<number> {
  const outcome = await client.streamConsole(selector, (line) => io.stdout(`${line}\n`));
  io.stderr(consoleClosed(outcome));
  return 0;
}

export const runEnclaveCommand: Command = {
  name: 'run-enclave',
  summary: 'launch an enclave from an EIF on the running host (nitro-cli run-enclave)',
  usage: `nitro-emu run-enclave --eif-path EIF --memory MiB (--cpu-count N | --cpu-ids ID[,ID…]) [--enclave-cid CID]
                      [--debug-mode] [--attach-console] [--enclave-name NAME] [--socket PATH]
nitro-emu run-enclave --config JSON [--socket PATH]

Asks the host started by 'nitro-emu host serve' to carve vCPUs and memory out of its parent instance,
measure the image and boot it; waits for the boot heartbeat, then prints nitro-cli's JSON:
{"EnclaveName", "EnclaveID", "ProcessID", "EnclaveCID", "NumberOfCPUs", "CPUIDs", "MemoryMiB"}.
--config takes nitro-cli's keys: eif_path, memory_mib, cpu_count | cpu_ids, enclave_cid, debug_mode,
attach_console, enclave_name. --cpu-ids takes the ids comma-separated in one value. With --attach-console
(debug mode only) the console follows the JSON on stdout until the enclave terminates.`,
  args: {
    values: ['eif-path', 'memory', 'cpu-count', 'cpu-ids', 'enclave-cid', 'enclave-name', 'config', 'socket'],
    booleans: ['debug-mode', 'attach-console'],
  },
  async run(args, io) {
    const { request, attachConsole } = runArguments(args, io);
    return withHost(args, async (client) => {
      if (!attachConsole) {
        printJson(io, await client.request('run-enclave', request));
        return 0;
      }
      // Attached in the same request, before the enclave runs: the console shows its boot from the first line.
      const outcome = await client.runWithConsole(request, (info) => printJson(io, info), (line) => io.stdout(`${line}\n`));
      io.stderr(consoleClosed(outcome));
      return 0;
    });
  },
};

export const describeEnclavesCommand: Command = {
  name: 'describe-enclaves',
  summary: 'list the enclaves running on the host (nitro-cli describe-enclaves)',
  usage: `nitro-emu describe-enclaves [--metadata] [--socket PATH]

Prints nitro-cli's JSON array, one object per running enclave: EnclaveName, EnclaveID, ProcessID,
EnclaveCID, NumberOfCPUs, CPUIDs, MemoryMiB, State ("RUNNING" | "TERMINATING"), Flags ("NONE" |
"DEBUG_MODE"), Measurements (the image's PCRs, as describe-eif prints them); --metadata adds ImageName,
ImageVersion and Metadata.`,
  args: { values: ['socket'], booleans: ['metadata'] },
  async run(args, io) {
    const list = await withHost(args, (client) => client.request('describe-enclaves', { metadata: args.booleans.has('metadata') }));
    printJson(io, list);
    return 0;
  },
};

function selectorOf(args: ParsedArgs, allowAll: boolean): Record<string, unknown> {
  const id = args.values.get('enclave-id');
  const name = args.values.get('enclave-name');
  const all = allowAll && args.booleans.has('all');
  if ([id !== undefined, name !== undefined, all].filter(Boolean).length !== 1) {
    throw new EmuError('CLI_BAD_ARGS', `give exactly one of --enclave-id, --enclave-name${allowAll ? ', --all' : ''}`);
  }
  return id !== undefined ? { enclave_id: id } : name !== undefined ? { enclave_name: name } : { all: true };
}

export const terminateEnclaveCommand: Command = {
  name: 'terminate-enclave',
  summary: 'terminate an enclave on the host (nitro-cli terminate-enclave)',
  usage: `nitro-emu terminate-enclave (--enclave-id ID | --enclave-name NAME | --all) [--socket PATH]

Stops the enclave, scrubs its memory and gives its vCPUs and memory back to the parent. Prints
nitro-cli's {"EnclaveName", "EnclaveID", "Terminated": true} for each enclave terminated.`,
  args: { values: ['enclave-id', 'enclave-name', 'socket'], booleans: ['all'] },
  async run(args, io) {
    const selector = selectorOf(args, true);
    const results = (await withHost(args, (client) => client.request('terminate-enclave', selector))) as unknown[];
    for (const result of results) printJson(io, result);
    return 0;
  },
};

export const consoleCommand: Command = {
  name: 'console',
  summary: "stream a debug-mode enclave's console (nitro-cli console)",
  usage: `nitro-emu console (--enclave-id ID | --enclave-name NAME) [--disconnect-timeout SECONDS] [--socket PATH]

Prints the enclave's console lines as they come, until the enclave terminates or the timeout passes.
Only a debug-mode enclave's console reaches the parent: for any other, HOST_CONSOLE_NOT_DEBUG.`,
  args: { values: ['enclave-id', 'enclave-name', 'disconnect-timeout', 'socket'] },
  async run(args, io) {
    const selector = selectorOf(args, false);
    const timeout = args.values.get('disconnect-timeout');
    const request = { ...selector, ...(timeout !== undefined ? { disconnect_timeout_s: wholeNumber(timeout, 'disconnect-timeout') } : {}) };
    return withHost(args, async (client) => {
      io.stderr(`Connecting to the console of ${String(selector['enclave_id'] ?? selector['enclave_name'])}...\n`);
      return streamConsole(client, io, request);
    });
  },
};
