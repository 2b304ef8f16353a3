import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import { utf8 } from '../../src/crypto/index.ts';
import {
  NsmClient,
  NsmDevice,
  buildEnclaveImage,
  loadEnclaveApp,
  parseEif,
  runEnclaveApp,
} from '../../src/enclave/index.ts';
import { counterRandom } from './helpers.ts';

const run = (source: string, handles: Record<string, unknown> = {}, syncTimeoutMs?: number) =>
  runEnclaveApp({ source, filename: 'app.js', handles, ...(syncTimeoutMs === undefined ? {} : { syncTimeoutMs }) });

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (isEmuError(error)) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected the app to fail');
}

describe('enclave realm', () => {
  it('calls main with the handles and returns its awaited result', async () => {
    const log: string[] = [];
    const result = await run('(async function main(enclave) { enclave.log("hi"); await null; return 6 * 7; })', {
      log: (text: string) => log.push(text),
    });
    expect(result).toBe(42);
    expect(log).toEqual(['hi']);
  });

  it('exposes handles as globals too, and nothing of the host', async () => {
    const seen = await run(
      `(function main(enclave) {
        return {
          handle: typeof nsm,
          sameObject: enclave.nsm === nsm,
          process: typeof process, require: typeof require, Buffer: typeof Buffer, fetch: typeof fetch,
          setTimeout: typeof setTimeout, setImmediate: typeof setImmediate, queueMicrotask: typeof queueMicrotask,
          Intl: typeof Intl, WeakRef: typeof WeakRef, SharedArrayBuffer: typeof SharedArrayBuffer,
          WebAssembly: typeof WebAssembly, console: typeof console, crypto: typeof crypto,
          TextEncoder: typeof TextEncoder, DataView: typeof DataView, BigInt: typeof BigInt,
        };
      })`,
      { nsm: { marker: 1 } },
    );
    expect(seen).toEqual({
      handle: 'object',
      sameObject: true,
      process: 'undefined',
      require: 'undefined',
      Buffer: 'undefined',
      fetch: 'undefined',
      setTimeout: 'undefined',
      setImmediate: 'undefined',
      queueMicrotask: 'undefined',
      Intl: 'undefined',
      WeakRef: 'undefined',
      SharedArrayBuffer: 'undefined',
      WebAssembly: 'undefined',
      console: 'undefined',
      crypto: 'undefined',
      TextEncoder: 'function',
      DataView: 'function',
      BigInt: 'function',
    });
  });

  it('shares the host typed arrays: bytes cross without conversion', async () => {
    const bytes = await run('(function main(enclave) { return new TextEncoder().encode("abc"); })');
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes).toEqual(utf8('abc'));
  });

  it('has no randomness and no clock', async () => {
    const random = await failure(run('(function main() { return Math.random(); })'));
    expect(random.code).toBe('ENCLAVE_APP_FAILED');
    expect(random.message).toMatch(/GetRandom/);
    expect((await failure(run('(function main() { return Date.now(); })'))).message).toMatch(/wall clock/);
    expect((await failure(run('(function main() { return new Date(); })'))).message).toMatch(/wall clock/);
    expect((await failure(run('(function main() { return Date(); })'))).message).toMatch(/wall clock/);
    // the original Date is not reachable through the prototype either
    expect((await failure(run('(function main() { return new (new Date(0).constructor)(); })'))).message).toMatch(/wall clock/);
    // time given as an input still works
    expect(await run('(function main() { return new Date(86400000).toISOString() + " " + Date.UTC(2020, 0, 1); })')).toBe(
      '1970-01-02T00:00:00.000Z 1577836800000',
    );
    expect(await run('(function main() { return Math.max(1, 2) + Math.floor(2.5); })')).toBe(4);
  });

  it('cannot generate code from strings or import modules', async () => {
    expect((await failure(run('(function main() { return eval("1"); })'))).code).toBe('ENCLAVE_APP_FAILED');
    expect((await failure(run('(function main() { return new Function("return 1")(); })'))).code).toBe('ENCLAVE_APP_FAILED');
    expect((await failure(run('(function main() { return (() => {}).constructor("return 1")(); })'))).code).toBe('ENCLAVE_APP_FAILED');
    expect((await failure(run('(async function main() { return await import("node:fs"); })'))).code).toBe('ENCLAVE_APP_FAILED');
  });

  it('turns throws, rejections, syntax errors and non-functions into ENCLAVE_APP_FAILED', async () => {
    const thrown = await failure(run('(function main() { throw new TypeError("boom"); })'));
    expect(thrown).toMatchObject({ code: 'ENCLAVE_APP_FAILED', details: { phase: 'run', filename: 'app.js' } });
    expect(thrown.message).toMatch(/boom/);
    expect((await failure(run('(async function main() { await null; throw new Error("late"); })'))).message).toMatch(/late/);
    expect((await failure(run('(function main( {'))).details).toMatchObject({ phase: 'load' });
    expect((await failure(run('42'))).message).toMatch(/must evaluate to a function/);
    expect((await failure(run('throw new Error("at load")'))).details).toMatchObject({ phase: 'load' });
  });

  it('keeps the code of a typed error thrown by a handle', async () => {
    const device = new NsmDevice({
      moduleId: 'i-0-enc0',
      measured: new Map(),
      issuer: { moduleId: 'i-0-enc0', issue: () => new Uint8Array(1) },
      random: counterRandom(),
    });
    const nsm = new NsmClient((bytes) => device.request(bytes));
    const failed = await failure(run('(function main(enclave) { enclave.nsm.extendPcr(0, new Uint8Array(1)); })', { nsm }));
    expect(failed.code).toBe('ENCLAVE_APP_FAILED');
    expect(failed.details).toMatchObject({ code: 'NSM_READ_ONLY_INDEX' });
    const extended = await run('(function main(enclave) { return enclave.nsm.extendPcr(16, new Uint8Array([1])).length; })', { nsm });
    expect(extended).toBe(48);
  });

  it('bounds synchronous evaluation', async () => {
    const spin = await failure(run('(function main() { for (;;) {} })', {}, 50));
    expect(spin.message).toMatch(/timed out/);
    expect((await failure(run('for (;;) {}', {}, 50))).details).toMatchObject({ phase: 'load' });
  });

  it('refuses handle names that are not identifiers or would hide a global', async () => {
    for (const name of ['Math', 'Uint8Array', 'not-an-identifier', 'console']) {
      expect((await failure(run('(function main() {})', { [name]: 1 }))).code).toBe('ENCLAVE_APP_BAD_HANDLES');
    }
  });

  it('runs an application straight from a measured image', async () => {
    const source = '(async function main(enclave) { return "from " + enclave.name; })';
    const image = buildEnclaveImage({ appFiles: [{ path: 'main.js', data: utf8(source) }], entry: 'main.js' });
    const app = loadEnclaveApp(parseEif(image));
    expect(await runEnclaveApp({ source: app.source, filename: app.entry, handles: { name: 'the image' } })).toBe('from the image');
  });

  it('gives every run a fresh realm', async () => {
    await run('(function main() { globalThis.leftover = 1; Math.extra = 2; })');
    expect(await run('(function main() { return [typeof leftover, typeof Math.extra]; })')).toEqual(['undefined', 'undefined']);
  });
});
