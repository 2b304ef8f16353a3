import { fromUtf8 } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import type { ArgSpec, ParsedArgs } from './args.ts';
import type { LineInput } from './stdin.ts';

/** Where a command writes. With --json, stdout carries only the JSON; narration goes to stderr. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly stderrIsTty: boolean;
  /** Reads a file the user named (relative to the working directory). */
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: Uint8Array | string): void;
  /** Lines from the user (demo --pause); absent means no one to ask, which commands treat like a pipe. */
  readonly stdin?: LineInput;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly args: ArgSpec;
  /** Returns the process exit code. Throwing an EmuError prints its code and message and exits 2. */
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}

export function printJson(io: CommandIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a text file the user named; bytes that are not UTF-8 are refused as CLI_BAD_INPUT (`what` names the file's role). */
export function readText(io: CommandIo, path: string, what?: string): string {
  try {
    return fromUtf8(io.readFile(path));
  } catch (error) {
    if (error instanceof EmuError) throw error;
    throw new EmuError('CLI_BAD_INPUT', `${what === undefined ? '' : `${what} `}${path} is not UTF-8 text`);
  }
}
