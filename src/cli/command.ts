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
