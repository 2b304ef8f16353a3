import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.ts';
import { buildEnclaveImage } from '../../src/enclave/index.ts';
import { ServedHost, parseRunEnclave, type ConsoleEndReason } from '../../src/host-server/index.ts';
import { toBase64 } from '../../src/crypto/index.ts';

// In-process: the served host without sockets (faster than a child; the socket layer has its own test).
const host = new ServedHost({ seed: 4, processId: 4242 });
afterAll(() => host.stop());

function image(source: string, name = 'app'): string {
  return toBase64(buildEnclaveImage({ appFiles: [{ path: 'main.js', data: utf8(source) }], entry: 'main.js', name }));
}

function collector() {
  const lines: string[] = [];
  let ended: (reason: ConsoleEndReason) => void = () => undefined;
  const end = new Promise<ConsoleEndReason>((resolve) => (ended = resolve));
  return { lines, end, listener: { line: (text: string) => lines.push(text), end: (reason: ConsoleEndReason) => ended(reason) } };
}

describe('ServedHost', () => {
  it('shows an application that dies on its debug console, and keeps the enclave listed until terminated', async () => {
    const console = collector();
    const source = `(async function main({ enclave }) { enclave.console.log('hello'); await enclave.sleep(20000000); throw new Error('out of ideas'); })`;
    const info = await host.runEnclave(parseRunEnclave({ eif: image(source), memory_mib: 64, cpu_count: 1, debug_mode: true, attach_console: true }), {
      listener: console.listener,
      attached: () => undefined,
    });
    expect(info).toMatchObject({ EnclaveName: 'app', ProcessID: 4242, CPUIDs: [1] });
    for (let i = 0; i < 100 && console.lines.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(console.lines[0]).toBe('hello');
    expect(console.lines[1]).toMatch(/^\[nitro-emu\] the application stopped: .*out of ideas/);
    expect((await host.describeEnclaves({ metadata: false })).map((e) => e.State)).toEqual(['RUNNING']);
    await host.terminateEnclave({ enclaveId: info.EnclaveID });
    expect(await console.end).toBe('terminated');
  });

  it('refuses memory the parent cannot give, and a refused launch takes no vCPU', async () => {
    const eif = image('(async function main() {})');
    await expect(host.runEnclave(parseRunEnclave({ eif, memory_mib: 32, cpu_count: 1 }), null)).rejects.toMatchObject({ code: 'HV_BAD_MEMORY' });
    await expect(host.runEnclave(parseRunEnclave({ eif, memory_mib: 4096, cpu_count: 1 }), null)).rejects.toMatchObject({ code: 'HV_OUT_OF_MEMORY' });
    expect((await host.describeHost()).FreeCPUIDs).toEqual([1, 2, 3]);
    // The same image twice without a name: the second gets a suffix.
    const a = await host.runEnclave(parseRunEnclave({ eif, memory_mib: 64, cpu_count: 1 }), null);
    const b = await host.runEnclave(parseRunEnclave({ eif, memory_mib: 64, cpu_count: 1 }), null);
    expect([a.EnclaveName, b.EnclaveName, a.EnclaveCID, b.EnclaveCID]).toEqual(['app', 'app_2', 16, 17]);
    expect((await host.terminateEnclave({ all: true })).map((t) => t.EnclaveID)).toEqual([a.EnclaveID, b.EnclaveID]);
    expect(await host.terminateEnclave({ all: true })).toEqual([]);
  });

  it('stop() ends consoles with server-stopping and terminates every enclave, scrubbing its pages', async () => {
    const other = new ServedHost({ seed: 4, processId: 1 });
    const console = collector();
    const ticker = `(async function main({ enclave }) { for (let i = 0; i < 1000; i++) { enclave.console.log('t' + i); await enclave.sleep(10000000); } })`;
    const info = await other.runEnclave(parseRunEnclave({ eif: image(ticker), memory_mib: 64, cpu_count: 2, debug_mode: true }), null);
    await other.openConsole({ enclaveName: 'app' }, null, console.listener);
    await other.stop();
    expect(await console.end).toBe('server-stopping');
    const released = other.world.host.releasedEnclaves;
    expect(released.map((r) => [r.enclaveId, r.scrubbed])).toEqual([[info.EnclaveID, true]]);
    expect(other.world.host.enclaves).toHaveLength(0);
    await expect(other.runEnclave(parseRunEnclave({ eif: image(ticker), memory_mib: 64, cpu_count: 1 }), null)).rejects.toMatchObject({ code: 'HOST_STOPPING' });
  });
});
