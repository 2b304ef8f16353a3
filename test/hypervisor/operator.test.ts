import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../src/crypto/index.ts';
import { defaultEnclaveImage } from '../../src/enclave/index.ts';
import { Host, NITRO_DEFENCES, PAGE_BYTES, VCPU_REGISTER_FILE_BYTES, unauditedEffects, type HypervisorDefences } from '../../src/hypervisor/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { expectCode } from '../helpers/errors.ts';

const image = defaultEnclaveImage();
const SECRET = utf8('SECRET-IN-ENCLAVE-PAGE-0');

function host(off: Partial<HypervisorDefences> = {}) {
  const sim = new Simulator({ seed: 2 });
  const h = new Host({ sim, memoryMiB: 1024, defences: { ...NITRO_DEFENCES, ...off } });
  const parent = h.createInstance({ roleArn: 'arn:aws:iam::111122223333:role/r', memoryMiB: 512, cpuCount: 4 });
  const enclave = h.launchEnclave(parent, image, { memoryMiB: 64, cpuCount: 1, startApplication: false });
  return { sim, host: h, parent, enclave };
}

describe('the effects journal and the audit log (OP-06)', () => {
  it('journals every operator action with the audit entry written before it', () => {
    const { host: h, parent, enclave } = host();
    h.operator.listInstances();
    h.operator.snapshotVolume(parent.instanceId);
    h.operator.killEnclave(enclave.enclaveId);
    expect(h.effects.map((e) => e.action)).toEqual(['instances.list', 'volumes.snapshot', 'enclaves.kill']);
    for (const effect of h.effects) {
      const entry = h.audit.entries.find((e) => e.hash === effect.auditHash);
      expect(entry).toMatchObject({ actor: 'operator', action: effect.action, outcome: 'attempt' });
    }
    expect(unauditedEffects(h.effects, h.audit.entries)).toEqual([]);
    expectCode(() => h.rewriteAudit(() => false), 'HV_AUDIT_APPEND_ONLY');
    expect(h.operator.rewriteAuditLog).toBeUndefined();
  });

  it('flags effects whose audit entry is gone from a rewritten log, though the rewritten chain verifies', () => {
    const audited = host();
    audited.host.operator.stopInstance(audited.parent.instanceId);
    const conventional = host({ auditBeforeEffect: false });
    const rewritten = conventional.host;
    // The conventional host's log, rewritten without the operator: a valid chain that lacks the entries.
    rewritten.operator.rewriteAuditLog!((entry) => entry.actor !== 'operator');
    expect(rewritten.audit.verify()).toBe(-1);
    expect(unauditedEffects(audited.host.effects, rewritten.audit.entries).map((e) => e.action)).toEqual(['instances.stop']);
  });

  it('with auditBeforeEffect off, operator actions (and the teardown they cause) leave no audit entry, and the log can be cut', () => {
    const { host: h, parent } = host({ auditBeforeEffect: false });
    const before = h.audit.entries.length;
    h.operator.stopInstance(parent.instanceId);
    expect(h.audit.entries.length).toBe(before);
    expect(h.releasedEnclaves).toHaveLength(1);
    expect(unauditedEffects(h.effects, h.audit.entries).map((e) => e.action)).toEqual(['instances.stop']);
    const dropped = h.operator.rewriteAuditLog!((entry) => entry.action !== 'enclave.launch');
    expect(dropped).toBe(2);
    expect(h.audit.entries.some((e) => e.action === 'enclave.launch')).toBe(false);
    expect(h.audit.verify()).toBe(-1);
  });
});

describe('kill and crash dumps (OP-11)', () => {
  it('a kill scrubs the pages and leaves no dump; with noCrashDumps off a core dump lands on the parent disk first', () => {
    for (const dumps of [false, true]) {
      const { host: h, parent, enclave } = host(dumps ? { noCrashDumps: false } : {});
      h.memory.writeFrame(enclave.frames[0]!, 0, SECRET);
      h.operator.killEnclave(enclave.enclaveId);
      expect(h.memory.isTouched(enclave.frames[0]!)).toBe(false);
      const files = h.operator.snapshotVolume(parent.instanceId);
      const core = files.find((f) => f.path === `crash/${enclave.enclaveId}.core`);
      if (!dumps) expect(core).toBeUndefined();
      else expect(toHex(core!.data.subarray(0, SECRET.length))).toBe(toHex(SECRET));
    }
  });

  it('refuses to kill an unknown enclave with a typed error, audited', () => {
    const { host: h } = host();
    expectCode(() => h.operator.killEnclave('i-nope-enc1'), 'HV_NO_SUCH_ENCLAVE');
    expect(h.audit.entries.at(-1)).toMatchObject({ action: 'enclaves.kill', outcome: 'error' });
  });
});

describe('the conventional host’s extra calls (OP-02, OP-04, OP-05)', () => {
  it('are absent on a Nitro-style host', () => {
    const { host: h } = host();
    expect([h.operator.readVcpuState, h.operator.snapshotInstance, h.operator.openShell, h.operator.dumpGuestMemory]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('readVcpuState returns the head of the enclave’s last memory transfer', () => {
    const { host: h, enclave } = host({ closedOperatorApi: false });
    expect(h.operator.readVcpuState!(enclave.enclaveId)).toEqual(new Uint8Array(VCPU_REGISTER_FILE_BYTES));
    // The app is not running here: write through the enclave's address space as its runtime would.
    const big = new Uint8Array(3 * VCPU_REGISTER_FILE_BYTES).fill(7);
    big.set(SECRET, 0);
    enclave.memory.write(0, big);
    const registers = h.operator.readVcpuState!(enclave.enclaveId);
    expect(registers).toHaveLength(VCPU_REGISTER_FILE_BYTES);
    expect(toHex(registers.subarray(0, SECRET.length))).toBe(toHex(SECRET));
  });

  it('snapshotInstance and the shell’s xxd see enclave pages; the shell refuses bad input with typed errors', () => {
    const { host: h, parent, enclave } = host({ closedOperatorApi: false });
    h.memory.writeFrame(enclave.frames[0]!, 0, SECRET);
    const snapshot = h.operator.snapshotInstance!(parent.instanceId);
    expect(snapshot.memory.length % PAGE_BYTES).toBe(0);
    expect(toHex(snapshot.memory)).toContain(toHex(SECRET));
    const shell = h.operator.openShell!();
    expect(shell.exec('ps')).toContain(`enclave ${enclave.enclaveId}`);
    expect(shell.exec(`xxd ${enclave.enclaveId} 0 ${SECRET.length}`)).toBe(toHex(SECRET));
    expect(fromHex(shell.exec(`xxd ${enclave.enclaveId} 4 4`))).toEqual(SECRET.subarray(4, 8));
    expect(shell.exec('rm -rf /')).toMatch(/command not found/);
    expectCode(() => shell.exec('xxd i-nobody'), 'HV_NO_SUCH_GUEST');
    expectCode(() => shell.exec(`xxd ${enclave.enclaveId} -1`), 'HV_SHELL_BAD_ARGUMENT');
  });
});

describe('guest memory isolation (CT-01)', () => {
  it('a second instance reaches only its own RAM; with guestMemoryIsolation off a window shows every host frame', () => {
    for (const isolated of [true, false]) {
      const { host: h, enclave } = host(isolated ? {} : { guestMemoryIsolation: false });
      h.memory.writeFrame(enclave.frames[0]!, 0, SECRET);
      const other = h.createInstance({ roleArn: null, memoryMiB: 64, cpuCount: 2, principal: 'co-tenant' });
      const ramBytes = 64 * 1024 * 1024;
      const windowAddress = ramBytes + enclave.frames[0]! * PAGE_BYTES;
      if (isolated) {
        expectCode(() => other.memory.read(windowAddress, SECRET.length), 'MEM_OUT_OF_RANGE');
        expect(other.memory.touchedPages()).toEqual([]);
      } else {
        expect(other.memory.read(windowAddress, SECRET.length)).toEqual(SECRET);
        expect(other.memory.touchedPages()).toContain(windowAddress);
      }
    }
  });
});
