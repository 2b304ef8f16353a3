/**
 * Runs an enclave application in a fresh `node:vm` context holding only its handles and a deterministic
 * subset of the language: no clock (`Date.now()` and `new Date()` throw), no `Math.random` (randomness comes
 * from NSM GetRandom), no timers, no `process`/`require`/`import()`/`Buffer`/`fetch`, no code generation
 * from strings, and none of the intrinsics whose results depend on the host or on garbage collection
 * (`Intl`, `WeakRef`, `FinalizationRegistry`, `SharedArrayBuffer`, `Atomics`, `WebAssembly`; also V8's
 * inspector-only `console`).
 *
 * Typed arrays, ArrayBuffer, DataView and TextEncoder/TextDecoder are the host's, so bytes cross the
 * boundary without conversion and `instanceof Uint8Array` holds on both sides.
 *
 * Not a sandbox against hostile code: node:vm is not a security mechanism, and any host object (a handle, a
 * host typed array) leads through its prototype chain to the host's `Function` constructor. The realm keeps
 * honest application code deterministic and limited to its capabilities; scenario code must not climb out of
 * it (DESIGN §2: that would be patching the runtime, a power no emulated principal has).
 */
import { Script, createContext, runInNewContext, type Context } from 'node:vm';
import { EmuError } from '../errors.ts';

/** Bounds each synchronous stretch run under the vm's watchdog (the script itself and the call of main). */
export const ENCLAVE_APP_SYNC_TIMEOUT_MS = 5000;
export const ENCLAVE_APP_SOURCE_BYTES_MAX = 16 * 1024 * 1024;

const HOST_GLOBALS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  ArrayBuffer,
  DataView,
  TextEncoder,
  TextDecoder,
} as const;

// Runs inside the new context before the application: removes what is not deterministic and replaces
// Date and Math.random with versions that cannot read the host's clock or entropy.
const PRELUDE = `'use strict';
(() => {
  for (const name of ['Intl', 'WeakRef', 'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'console']) {
    delete globalThis[name];
  }
  const clockless = (what) => () => {
    throw new Error(what + ' reads the wall clock, which an enclave application cannot do here: take time as an input');
  };
  const RealDate = Date;
  const proto = RealDate.prototype;
  const ClocklessDate = function Date(...args) {
    if (new.target === undefined) clockless('Date()')();
    if (args.length === 0) clockless('new Date()')();
    return Reflect.construct(RealDate, args, new.target);
  };
  Object.defineProperty(ClocklessDate, 'prototype', { value: proto, writable: false });
  Object.defineProperty(proto, 'constructor', { value: ClocklessDate, writable: true, configurable: true });
  ClocklessDate.UTC = RealDate.UTC;
  ClocklessDate.parse = RealDate.parse;
  ClocklessDate.now = clockless('Date.now()');
  globalThis.Date = ClocklessDate;
  Object.defineProperty(Math, 'random', {
    value: function random() {
      throw new Error('Math.random is not available in an enclave: use the NSM GetRandom request');
    },
  });
})();
`;

function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

function failed(phase: 'load' | 'run', filename: string, error: unknown): EmuError {
  const details: Record<string, unknown> = { phase, filename };
  if (error instanceof EmuError) details['code'] = error.code;
  return new EmuError('ENCLAVE_APP_FAILED', `${filename}: ${messageOf(error)}`, details);
}

let builtinNames: ReadonlySet<string> | undefined;

/** The language's own globals (Object, JSON, Promise, …): a handle must not hide one. */
function languageGlobals(): ReadonlySet<string> {
  builtinNames ??= new Set(runInNewContext('Object.getOwnPropertyNames(globalThis)') as string[]);
  return builtinNames;
}

const HANDLE_NAMES_MAX = 64;

function newRealm(handles: Record<string, unknown>, timeoutMs: number): Context {
  const sandbox: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  Object.assign(sandbox, HOST_GLOBALS);
  const names = Object.keys(handles);
  if (names.length > HANDLE_NAMES_MAX) throw new EmuError('ENCLAVE_APP_BAD_HANDLES', `more than ${HANDLE_NAMES_MAX} handles`);
  for (const name of names) {
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) || name in HOST_GLOBALS || languageGlobals().has(name)) {
      throw new EmuError('ENCLAVE_APP_BAD_HANDLES', `handle name ${JSON.stringify(name)} is not an identifier or would hide a global`);
    }
    sandbox[name] = handles[name];
  }
  const context = createContext(sandbox, { name: 'enclave', codeGeneration: { strings: false, wasm: false } });
  new Script(PRELUDE, { filename: 'nitro-emu:enclave-prelude' }).runInContext(context, { timeout: timeoutMs });
  return context;
}

/**
 * `source` is a script whose completion value is `main(enclave)`; the realm calls it with `handles` and
 * returns its awaited result. Any throw or rejection becomes ENCLAVE_APP_FAILED (with the app's message).
 */
export async function runEnclaveApp(options: {
  source: string;
  filename: string;
  handles: Record<string, unknown>;
  /** Watchdog for each synchronous stretch; default ENCLAVE_APP_SYNC_TIMEOUT_MS. */
  syncTimeoutMs?: number;
}): Promise<unknown> {
  const { source, filename, handles } = options;
  const timeout = options.syncTimeoutMs ?? ENCLAVE_APP_SYNC_TIMEOUT_MS;
  if (source.length > ENCLAVE_APP_SOURCE_BYTES_MAX) {
    throw new EmuError('ENCLAVE_APP_FAILED', `${filename}: source over ${ENCLAVE_APP_SOURCE_BYTES_MAX} characters`, { phase: 'load', filename });
  }
  const context = newRealm(handles, timeout);
  let main: unknown;
  try {
    main = new Script(source, { filename }).runInContext(context, { timeout });
  } catch (error) {
    throw failed('load', filename, error);
  }
  if (typeof main !== 'function') {
    throw new EmuError('ENCLAVE_APP_FAILED', `${filename}: the script must evaluate to a function main(enclave)`, { phase: 'load', filename });
  }
  // The call goes through a script too, so the watchdog also bounds main's synchronous part.
  const call = new Script('globalThis["nitro-emu:main"](globalThis["nitro-emu:handles"])', { filename: 'nitro-emu:enclave-call' });
  const globals = context as Record<string, unknown>;
  globals['nitro-emu:main'] = main;
  globals['nitro-emu:handles'] = handles;
  let pending: unknown;
  try {
    pending = call.runInContext(context, { timeout });
  } catch (error) {
    throw failed('run', filename, error);
  } finally {
    delete globals['nitro-emu:main'];
    delete globals['nitro-emu:handles'];
  }
  try {
    return await pending;
  } catch (error) {
    throw failed('run', filename, error);
  }
}
