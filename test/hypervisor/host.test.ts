import { describe, expect, it } from 'vitest';
import { defaultEnclaveImage } from '../../src/enclave/index.ts';
import { AddressSpace, Host, NITRO_DEFENCES, PAGE_BYTES, PhysicalMemory } from '../../src/hypervisor/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { isEmuError } from '../../src/errors.ts';

const image = defaultEnclaveImage();

function host(defences = NITRO_DEFENCES) {
  const sim = new Simulator({ seed: 1 });
  const h = new Host({ sim, memoryMiB: 1024, defences });
  const parent = h.createInstance({ roleArn: 'arn:aws:iam::111122223333:role/r', memoryMiB: 512, cpuCount: 4 });
  return { sim, host: h, parent };
}

describe('physical memory and address spaces', () => {
  it('reads zeros until written, and faults outside the guest or across an owner change', () => {
    const memory = new PhysicalMemory(16 * PAGE_BYTES);
    const frames = memory.allocate('instance:a', 4);
    const space = new AddressSpace(memory, 'instance:a', frames);
    expect(space.read(100, 8)).toEqual(new Uint8Array(8));
    space.write(PAGE_BYTES - 2, Uint8Array.of(1, 2, 3, 4));
    expect(space.read(PAGE_BYTES - 2, 4)).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(() => space.read(4 * PAGE_BYTES - 1, 2)).toThrowError(/MEM_OUT_OF_RANGE/);
    memory.retag([frames[1]!], 'enclave:x');
    expect(() => space.read(PAGE_BYTES, 1)).toThrowError(/MEM_UNMAPPED/);
    expect(space.touchedPages()).toEqual([0]);
    expect(() => memory.allocate('b', 13)).toThrowError(/HV_OUT_OF_MEMORY/);
  });
});

describe('enclave carve-out', () => {
  it('takes pages and vCPUs from the parent, measures the image and scrubs before giving pages back', async () => {
    const { sim, host: h, parent } = host();
    const enclave = h.launchEnclave(parent, image, { memoryMiB: 64, cpuCount: 2, startApplication: false });
    expect(parent.freeCpus).toBe(2);
    expect(enclave.frames).toHaveLength((64 * 1024 * 1024) / PAGE_BYTES);
    expect(enclave.pcrs[0]).toMatch(/^[0-9a-f]{96}$/);
    expect(enclave.pcrs[3]).not.toBe('0'.repeat(96));
    expect(enclave.enclaveId).toMatch(/^i-[0-9a-f]{17}-enc[0-9a-f]+$/);
    // The parent's guest pages that became the enclave's are gone from its page table.
    const firstCarved = parent.memory.frames.indexOf(enclave.frames[0]!);
    expect(() => parent.memory.read(firstCarved * PAGE_BYTES, 1)).toThrowError(/MEM_UNMAPPED/);
    h.memory.writeFrame(enclave.frames[0]!, 0, new TextEncoder().encode('enclave secret'));
    h.terminateEnclave(enclave.enclaveId, 'parent-admin');
    expect(parent.memory.read(firstCarved * PAGE_BYTES, 14)).toEqual(new Uint8Array(14));
    expect(parent.freeCpus).toBe(4);
    await sim.run();
  });

  it('leaves the parent mapped to enclave pages and leftovers in place on a conventional host', () => {
    const { host: h, parent } = host({ ...NITRO_DEFENCES, enclaveMemoryIsolation: false, scrubOnRelease: false, closedOperatorApi: false });
    const enclave = h.launchEnclave(parent, image, { memoryMiB: 64, cpuCount: 1, startApplication: false });
    h.memory.writeFrame(enclave.frames[0]!, 0, Uint8Array.of(7, 7, 7));
    const page = parent.memory.frames.indexOf(enclave.frames[0]!);
    expect(parent.memory.read(page * PAGE_BYTES, 3)).toEqual(Uint8Array.of(7, 7, 7));
    h.terminateEnclave(enclave.enclaveId, 'parent-admin');
    expect(parent.memory.read(page * PAGE_BYTES, 3)).toEqual(Uint8Array.of(7, 7, 7));
  });

  it('debug mode zeroes PCR0/1/2/8 and keeps PCR3/4', () => {
    const { host: h, parent } = host();
    const debug = h.launchEnclave(parent, image, { memoryMiB: 64, cpuCount: 1, debugMode: true, startApplication: false });
    const normal = h.launchEnclave(parent, image, { memoryMiB: 64, cpuCount: 1, startApplication: false });
    for (const i of [0, 1, 2, 8]) expect(debug.pcrs[i]).toBe('0'.repeat(96));
    expect(debug.pcrs[3]).toBe(normal.pcrs[3]);
    expect(debug.pcrs[4]).toBe(normal.pcrs[4]);
    expect(debug.cid).not.toBe(normal.cid);
  });

  it('refuses bad launches with typed errors, audited, and changes nothing', () => {
    const { host: h, parent } = host();
    const before = { cpus: parent.freeCpus, enclaves: h.enclaves.length };
    const corrupt = image.slice();
    corrupt[corrupt.length - 10]! ^= 1;
    for (const [eif, options, code] of [
      [image, { memoryMiB: 64, cpuCount: 4 }, 'HV_BAD_CPU_COUNT'],
      [image, { memoryMiB: 10, cpuCount: 1 }, 'HV_BAD_MEMORY'],
      [image, { memoryMiB: 64, cpuCount: 1, cid: 3 }, 'HV_BAD_CID'],
      [corrupt, { memoryMiB: 64, cpuCount: 1 }, 'EIF_CRC_MISMATCH'],
    ] as const) {
      let caught: unknown;
      try {
        h.launchEnclave(parent, eif, { ...options, startApplication: false });
      } catch (error) {
        caught = error;
      }
      expect(isEmuError(caught, code), `${code}: ${String(caught)}`).toBe(true);
      expect(h.audit.entries.at(-1)).toMatchObject({ action: 'enclave.launch', outcome: 'error', details: { code } });
    }
    expect({ cpus: parent.freeCpus, enclaves: h.enclaves.length }).toEqual(before);
  });
});

describe('the operator API', () => {
  it('is closed: list, metrics, stop, start — nothing that returns memory — each audited before it acts', () => {
    const { host: h, parent } = host();
    h.launchEnclave(parent, image, { memoryMiB: 64, cpuCount: 1, startApplication: false });
    const api = h.operator;
    expect(api.dumpGuestMemory).toBeUndefined();
    expect(api.listInstances()).toEqual([
      { instanceId: parent.instanceId, state: 'running', memoryMiB: 512, cpuCount: 4, enclaveCount: 1, enclaveIds: [h.enclaves[0]!.enclaveId] },
    ]);
    expect(api.metrics(parent.instanceId)).toMatchObject({ enclaves: 1, enclaveMemoryMiB: 64 });
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(api)).filter((m) => m !== 'constructor');
    expect(methods.sort()).toEqual([
      'currentFirmware',
      'deployFirmware',
      'devicePerfCounters',
      'dumpGuestMemory',
      'firmwareConsole',
      'killEnclave',
      'listDevices',
      'listInstances',
      'metrics',
      'openShell',
      // Device memory only through the management plane, which a confidential device firewalls (OP-09).
      'readDeviceMemory',
      'readVcpuState',
      'resetDevice',
      'rewriteAuditLog',
      'snapshotInstance',
      'snapshotVolume',
      'startInstance',
      'stopInstance',
    ]);
    // The conventional calls are absent (not forbidden) on a Nitro-style host.
    for (const absent of ['dumpGuestMemory', 'readVcpuState', 'snapshotInstance', 'openShell', 'rewriteAuditLog', 'firmwareConsole'] as const) {
      expect(api[absent], absent).toBeUndefined();
    }
    api.stopInstance(parent.instanceId);
    expect(h.enclaves).toHaveLength(0);
    expect(() => api.stopInstance(parent.instanceId)).toThrowError(/HV_INSTANCE_STOPPED/);
    api.startInstance(parent.instanceId);
    const actions = h.audit.entries.filter((e) => e.actor === 'operator').map((e) => `${e.action}:${e.outcome}`);
    expect(actions.slice(0, 2)).toEqual(['instances.list:attempt', 'instances.list:ok']);
    expect(actions).toContain('instances.stop:error');
    // The enclave teardown the stop caused is itself audited, inside the stop's attempt/ok pair.
    const stop = h.audit.entries.findIndex((e) => e.action === 'instances.stop' && e.outcome === 'attempt');
    const terminate = h.audit.entries.findIndex((e) => e.action === 'enclave.terminate' && e.outcome === 'ok');
    expect(terminate).toBeGreaterThan(stop);
    expect(h.audit.verify()).toBe(-1);
  });
});
