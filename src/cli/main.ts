import { isEmuError } from '../errors.ts';
import { parseArgs } from './args.ts';
import type { Command, CommandIo } from './command.ts';
import { commands } from './commands/index.ts';
import { processIo } from './io.ts';

function usage(list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  const lines = list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `nitro-emu — an emulator of a Nitro-style confidential AI host\n\nUsage: nitro-emu <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'nitro-emu <command> --help' for a command's options.\n`;
}

/** Entry of the `nitro-emu` binary; returns the exit code (0 ok, 1 a negative verdict, 2 bad usage or input). */
export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === 'help') {
    io.stdout(usage(commands));
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr(`nitro-emu: unknown command ${JSON.stringify(name)}\n\n${usage(commands)}`);
    return 2;
  }
  if (rest.includes('--help')) {
    io.stdout(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(parseArgs(rest, command.args), io);
  } catch (error) {
    if (isEmuError(error)) {
      io.stderr(`nitro-emu ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
