import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toBase64, utf8 } from '../../src/crypto/index.ts';
import { FrameReader, decodeRequest, encodeFrame, parseRunEnclave } from '../../src/host-server/index.ts';
import { claimSocketPath } from '../../src/host-server/socket-path.ts';
import { enclaveCpuPool, pickCpuIds, pickEnclaveName } from '../../src/host-server/slots.ts';
import { expectCode } from '../helpers/errors.ts';
import { tempDir } from '../helpers/cli.ts';

const dir = tempDir('nitro-emu-host-proto-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('frames', () => {
  it('reassembles frames however the stream chunks them', () => {
    const payloads = [utf8('{"op":"describe-host"}'), new Uint8Array(0), new Uint8Array(300).fill(7)];
    const stream = Uint8Array.from(payloads.flatMap((p) => [...encodeFrame(p)]));
    for (const chunkBytes of [1, 3, 5, stream.length]) {
      const reader = new FrameReader(1024);
      const got: Uint8Array[] = [];
      for (let at = 0; at < stream.length; at += chunkBytes) got.push(...reader.push(stream.subarray(at, at + chunkBytes)));
      expect(got).toEqual(payloads);
      expect(reader.pendingBytes).toBe(0);
    }
  });

  it('refuses a header over the bound before buffering, and stays failed', () => {
    const reader = new FrameReader(16);
    expect(reader.push(encodeFrame(new Uint8Array(16)))).toHaveLength(1);
    expectCode(() => reader.push(Uint8Array.of(0, 0, 0, 17)), 'HOST_FRAME_TOO_LARGE');
    expect(reader.pendingBytes).toBe(0);
    expectCode(() => reader.push(encodeFrame(new Uint8Array(1))), 'HOST_FRAME_TOO_LARGE');
  });
});

describe('requests', () => {
  it('decodes a request strictly', () => {
    expect(decodeRequest(utf8('{"id":3,"op":"describe-enclaves","args":{"metadata":true}}'))).toEqual({ id: 3, op: 'describe-enclaves', args: { metadata: true } });
    expect(decodeRequest(utf8('{"op":"describe-host"}'))).toEqual({ id: null, op: 'describe-host', args: {} });
    for (const bad of ['[]', '"x"', '{"op":"reboot"}', '{"op":"console","args":[]}', '{"op":"console","extra":1}', '{"op":"console","id":-1}', '\u00ff']) {
      expectCode(() => decodeRequest(utf8(bad)), 'HOST_BAD_REQUEST');
    }
    expectCode(() => decodeRequest(Uint8Array.of(0xc3, 0x28)), 'HOST_BAD_REQUEST'); // not UTF-8
  });

  it('checks run-enclave arguments field by field (nitro-cli’s config keys)', () => {
    const eif = toBase64(Uint8Array.of(1, 2, 3));
    expect(parseRunEnclave({ eif, memory_mib: 128, cpu_ids: [3, 1], debug_mode: true })).toEqual({
      eif: Uint8Array.of(1, 2, 3),
      memoryMiB: 128,
      cpu: { ids: [3, 1] },
      enclaveCid: null,
      debugMode: true,
      enclaveName: null,
      attachConsole: false,
    });
    const base = { eif, memory_mib: 128, cpu_count: 1 };
    expectCode(() => parseRunEnclave({ ...base, cpu_ids: [1] }), 'HOST_BAD_REQUEST');
    expectCode(() => parseRunEnclave({ eif, memory_mib: 128 }), 'HOST_BAD_REQUEST');
    expectCode(() => parseRunEnclave({ ...base, eif: 'not base64!' }), 'HOST_BAD_REQUEST');
    expectCode(() => parseRunEnclave({ ...base, memory_mib: 1.5 }), 'HOST_BAD_REQUEST');
    expectCode(() => parseRunEnclave({ ...base, cpu_count: 0 }), 'HOST_BAD_REQUEST');
    expectCode(() => parseRunEnclave({ eif, memory_mib: 128, cpu_ids: [1, 1] }), 'HOST_BAD_REQUEST');
    expectCode(() => parseRunEnclave({ ...base, enclave_name: 'a\nb' }), 'HOST_BAD_REQUEST');
    expectCode(() => parseRunEnclave({ ...base, debug_mode: 'yes' }), 'HOST_BAD_REQUEST');
    expectCode(() => parseRunEnclave({ ...base, eif_path: '/etc/shadow' }), 'HOST_BAD_REQUEST');
    for (const cid of [0, 3, 0xffff_ffff, 2 ** 40]) expectCode(() => parseRunEnclave({ ...base, enclave_cid: cid }), 'HOST_BAD_CID');
    expect(parseRunEnclave({ ...base, enclave_cid: 4 }).enclaveCid).toBe(4);
    expectCode(() => parseRunEnclave({ ...base, attach_console: true }), 'HOST_CONSOLE_NOT_DEBUG');
    expect(parseRunEnclave({ ...base, attach_console: true, debug_mode: true }).attachConsole).toBe(true);
  });

  it('allocates vCPUs from the pool without vCPU 0, and names without clashes', () => {
    const pool = enclaveCpuPool(4);
    expect(pool).toEqual([1, 2, 3]);
    expect(pickCpuIds({ count: 2 }, pool, new Set([1]))).toEqual([2, 3]);
    expect(pickCpuIds({ ids: [3, 2] }, pool, new Set())).toEqual([2, 3]);
    expectCode(() => pickCpuIds({ count: 3 }, pool, new Set([2])), 'HOST_NOT_ENOUGH_CPUS');
    expectCode(() => pickCpuIds({ ids: [0] }, pool, new Set()), 'HOST_BAD_CPU_IDS');
    expectCode(() => pickCpuIds({ ids: [2] }, pool, new Set([2])), 'HOST_CPU_IN_USE');
    expect(pickEnclaveName(null, 'app', new Set(['app', 'app_2']))).toBe('app_3');
    expect(pickEnclaveName(null, undefined, new Set())).toBe('enclave');
    expectCode(() => pickEnclaveName('app', 'x', new Set(['app'])), 'HOST_ENCLAVE_NAME_IN_USE');
  });
});

describe('socket paths', () => {
  it('replaces a stale socket, refuses a live one, and never touches a file that is not a socket', async () => {
    const live = join(dir, 'live.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(live, resolve));
    await expect(claimSocketPath(live)).rejects.toMatchObject({ code: 'HOST_SOCKET_BUSY' });
    await new Promise<void>((resolve) => server.close(() => resolve()));

    // A server killed without cleanup leaves its socket file behind.
    const stale = join(dir, 'stale.sock');
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(existsSync(stale)).toBe(true);
    await claimSocketPath(stale);
    expect(existsSync(stale)).toBe(false);

    const file = join(dir, 'precious.txt');
    writeFileSync(file, 'keep me');
    await expect(claimSocketPath(file)).rejects.toMatchObject({ code: 'HOST_SOCKET_NOT_A_SOCKET' });
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    await expect(claimSocketPath(join(dir, 'x'.repeat(120)))).rejects.toMatchObject({ code: 'HOST_SOCKET_PATH_TOO_LONG' });
  });
});
