import { readFileSync, writeFileSync } from 'node:fs';
import { EmuError } from '../errors.ts';
import type { CommandIo } from './command.ts';
import { processStdin } from './stdin.ts';

export function processIo(): CommandIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTty: Boolean(process.stderr.isTTY),
    stdin: processStdin(),
    readFile(path) {
      try {
        return new Uint8Array(readFileSync(path));
      } catch (error) {
        throw new EmuError('CLI_FILE_UNREADABLE', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    },
    writeFile(path, data) {
      try {
        writeFileSync(path, data);
      } catch (error) {
        throw new EmuError('CLI_FILE_UNWRITABLE', `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    },
  };
}
