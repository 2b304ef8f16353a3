import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParsedArgs } from '../args.ts';

/** Where `host serve` listens and the nitro-cli-style commands connect: --socket, else $NITRO_EMU_HOST_SOCKET, else a fixed temp path. */
export function hostSocketPath(args: ParsedArgs): string {
  return args.values.get('socket') ?? process.env['NITRO_EMU_HOST_SOCKET'] ?? join(tmpdir(), 'nitro-emu-host.sock');
}

/** The NSM socket sits beside the control socket unless --nsm-socket says otherwise. */
export function nsmSocketPath(args: ParsedArgs, socketPath: string): string {
  return args.values.get('nsm-socket') ?? `${socketPath}.nsm`;
}
