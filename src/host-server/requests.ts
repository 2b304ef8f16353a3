/**
 * Arguments of each request, checked field by field. run-enclave's keys are nitro-cli's `--config` JSON
 * keys (research §3.1), with the image's bytes in `eif` instead of a path: the server reads no file a client
 * names, so it never opens what its own user could and the client's could not.
 */
import { fromBase64 } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';

/** nitro-cli's vCPU and memory arguments are u64s; a host has far fewer, so anything above is a typo. */
export const CPUS_PER_ENCLAVE_MAX = 256;
export const ENCLAVE_NAME_CHARS_MAX = 128;
/** `console --disconnect-timeout`: up to a day. */
export const CONSOLE_TIMEOUT_S_MAX = 86_400;
/** CIDs 0–3 are the hypervisor, local, host and parent; u32::MAX is VMADDR_CID_ANY (research §3.2). */
export const ENCLAVE_CID_MIN = 4;
export const ENCLAVE_CID_MAX = 0xffff_fffe;

export interface RunEnclaveRequest {
  readonly eif: Uint8Array;
  readonly memoryMiB: number;
  readonly cpu: { readonly count: number } | { readonly ids: readonly number[] };
  /** null: the first free CID. */
  readonly enclaveCid: number | null;
  readonly debugMode: boolean;
  readonly enclaveName: string | null;
  /** Stream the console from the first line of boot (nitro-cli's --attach-console; debug mode only). */
  readonly attachConsole: boolean;
}

/** Which enclaves a terminate or console request means. */
export type EnclaveSelector = { readonly enclaveId: string } | { readonly enclaveName: string } | { readonly all: true };

function bad(code: string, message: string): never {
  throw new EmuError(code, message);
}

function onlyKeys(args: Readonly<Record<string, unknown>>, allowed: readonly string[], op: string): void {
  for (const key of Object.keys(args)) if (!allowed.includes(key)) bad('HOST_BAD_REQUEST', `${op} takes no ${JSON.stringify(key)}`);
}

function integer(value: unknown, field: string, min: number, max: number, code = 'HOST_BAD_REQUEST'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    bad(code, `${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  return value;
}

function text(value: unknown, field: string, charsMax: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > charsMax || /[\u0000-\u001f\u007f]/.test(value)) {
    bad('HOST_BAD_REQUEST', `${field} must be 1 to ${charsMax} printable characters`);
  }
  return value;
}

export function parseRunEnclave(args: Readonly<Record<string, unknown>>): RunEnclaveRequest {
  onlyKeys(args, ['eif', 'memory_mib', 'cpu_count', 'cpu_ids', 'enclave_cid', 'debug_mode', 'enclave_name', 'attach_console'], 'run-enclave');
  if (typeof args['eif'] !== 'string') bad('HOST_BAD_REQUEST', 'run-enclave needs eif: the image bytes in base64');
  let eif: Uint8Array;
  try {
    eif = fromBase64(args['eif']);
  } catch {
    bad('HOST_BAD_REQUEST', 'eif is not standard padded base64');
  }
  const memoryMiB = integer(args['memory_mib'], 'memory_mib', 1, 1 << 24);
  const hasCount = args['cpu_count'] !== undefined;
  const hasIds = args['cpu_ids'] !== undefined;
  if (hasCount === hasIds) bad('HOST_BAD_REQUEST', 'give exactly one of cpu_count and cpu_ids');
  let cpu: RunEnclaveRequest['cpu'];
  if (hasCount) cpu = { count: integer(args['cpu_count'], 'cpu_count', 1, CPUS_PER_ENCLAVE_MAX) };
  else {
    const ids = args['cpu_ids'];
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > CPUS_PER_ENCLAVE_MAX) {
      bad('HOST_BAD_REQUEST', `cpu_ids must list 1 to ${CPUS_PER_ENCLAVE_MAX} CPU ids`);
    }
    const checked = ids.map((id, i) => integer(id, `cpu_ids[${i}]`, 0, 4095));
    if (new Set(checked).size !== checked.length) bad('HOST_BAD_REQUEST', 'cpu_ids lists a CPU twice');
    cpu = { ids: checked };
  }
  const cid = args['enclave_cid'];
  const enclaveCid = cid === undefined || cid === null ? null : integer(cid, 'enclave_cid', ENCLAVE_CID_MIN, ENCLAVE_CID_MAX, 'HOST_BAD_CID');
  const debug = args['debug_mode'] ?? false;
  if (typeof debug !== 'boolean') bad('HOST_BAD_REQUEST', 'debug_mode must be true or false');
  const name = args['enclave_name'];
  const enclaveName = name === undefined || name === null ? null : text(name, 'enclave_name', ENCLAVE_NAME_CHARS_MAX);
  const attach = args['attach_console'] ?? false;
  if (typeof attach !== 'boolean') bad('HOST_BAD_REQUEST', 'attach_console must be true or false');
  if (attach && !debug) bad('HOST_CONSOLE_NOT_DEBUG', 'attach_console needs debug_mode: only a debug-mode enclave’s console reaches the parent');
  return { eif, memoryMiB, cpu, enclaveCid, debugMode: debug, enclaveName, attachConsole: attach };
}

/** `enclave_id`, `enclave_name` or (where allowed) `all: true` — exactly one. */
export function parseSelector(args: Readonly<Record<string, unknown>>, op: string, allowAll: boolean, extra: readonly string[] = []): EnclaveSelector {
  onlyKeys(args, ['enclave_id', 'enclave_name', ...(allowAll ? ['all'] : []), ...extra], op);
  const given = ['enclave_id', 'enclave_name', 'all'].filter((k) => args[k] !== undefined);
  if (given.length !== 1) bad('HOST_BAD_REQUEST', `${op} needs exactly one of enclave_id, enclave_name${allowAll ? ', all' : ''}`);
  if (args['all'] !== undefined) {
    if (args['all'] !== true) bad('HOST_BAD_REQUEST', 'all must be true');
    return { all: true };
  }
  if (args['enclave_id'] !== undefined) return { enclaveId: text(args['enclave_id'], 'enclave_id', 200) };
  return { enclaveName: text(args['enclave_name'], 'enclave_name', ENCLAVE_NAME_CHARS_MAX) };
}

export function parseDescribe(args: Readonly<Record<string, unknown>>): { readonly metadata: boolean } {
  onlyKeys(args, ['metadata'], 'describe-enclaves');
  const metadata = args['metadata'] ?? false;
  if (typeof metadata !== 'boolean') bad('HOST_BAD_REQUEST', 'metadata must be true or false');
  return { metadata };
}

export function parseConsole(args: Readonly<Record<string, unknown>>): { readonly selector: EnclaveSelector; readonly disconnectTimeoutS: number | null } {
  const selector = parseSelector(args, 'console', false, ['disconnect_timeout_s']);
  const timeout = args['disconnect_timeout_s'];
  const disconnectTimeoutS = timeout === undefined || timeout === null ? null : integer(timeout, 'disconnect_timeout_s', 1, CONSOLE_TIMEOUT_S_MAX);
  return { selector, disconnectTimeoutS };
}

export function parseNoArgs(args: Readonly<Record<string, unknown>>, op: string): void {
  onlyKeys(args, [], op);
}
