import { toHex } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import type { Host } from './host.ts';
import { PAGE_BYTES } from './memory.ts';

/** Bound on one shell command's memory read, so a dump stays a bounded string. */
export const SHELL_READ_BYTES_MAX = 1024 * 1024;
const SHELL_READ_BYTES_DEFAULT = 64 * 1024;

/** A command channel on a conventional host: what an operator's login would give (OP-05). */
export interface OperatorShell {
  exec(command: string): string;
}

/** Every touched page a guest (or an instance with its enclaves) owns, in frame order. */
export function guestImage(host: Host, owners: ReadonlySet<string>): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (let frame = 0; frame < host.memory.framesTotal; frame++) {
    if (owners.has(host.memory.ownerOf(frame)) && host.memory.isTouched(frame)) chunks.push(host.memory.readFrame(frame, 0, PAGE_BYTES));
  }
  const out = new Uint8Array(chunks.length * PAGE_BYTES);
  chunks.forEach((chunk, i) => out.set(chunk, i * PAGE_BYTES));
  return out;
}

/** The owner tags of an instance and of every enclave it runs. */
export function instanceOwners(host: Host, instanceId: string): Set<string> {
  const parent = host.instance(instanceId);
  return new Set([`instance:${instanceId}`, ...host.enclaves.filter((e) => e.parent === parent).map((e) => `enclave:${e.enclaveId}`)]);
}

function guestOwner(host: Host, id: string): string {
  if (host.enclaves.some((e) => e.enclaveId === id)) return `enclave:${id}`;
  if (host.instances.some((p) => p.instanceId === id)) return `instance:${id}`;
  throw new EmuError('HV_NO_SUCH_GUEST', `no instance or enclave ${id}`);
}

function parseCount(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new EmuError('HV_SHELL_BAD_ARGUMENT', `${text} is not a byte count`);
  return value;
}

/** A tiny shell: `ps`, `xxd <guest-id> [offset] [length]` (hex of the guest's touched pages), `help`. */
export function openShell(host: Host): OperatorShell {
  return {
    exec: (command) =>
      host.operatorAction('shell.exec', { command: command.slice(0, 200) }, () => {
        const [name, ...args] = command.trim().split(/\s+/);
        switch (name) {
          case 'help':
            return 'ps | xxd <instance-or-enclave-id> [offset] [length] | help';
          case 'ps':
            return [
              ...host.instances.map((p) => `instance ${p.instanceId} ${p.state}`),
              ...host.enclaves.map((e) => `enclave ${e.enclaveId} cid=${e.cid} parent=${e.parent.instanceId}`),
            ].join('\n');
          case 'xxd': {
            const owner = guestOwner(host, args[0] ?? '');
            const offset = parseCount(args[1], 0);
            const length = Math.min(parseCount(args[2], SHELL_READ_BYTES_DEFAULT), SHELL_READ_BYTES_MAX);
            return toHex(guestImage(host, new Set([owner])).subarray(offset, offset + length));
          }
          default:
            return `sh: ${name ?? ''}: command not found`;
        }
      }),
  };
}
