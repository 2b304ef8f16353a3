import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import { CO_TENANT_ROLE_ARN, coTenantHandle, handlesFor, operatorHandle, parentAdminHandle } from '../../src/scenario/index.ts';
import { World, deployModel, launchEnclave } from '../../src/world/index.ts';

const channels = (world: World, principal: 'parent-admin' | 'operator' | 'co-tenant') => world.ledger.of(principal).map((o) => o.channel);

describe('attacker capabilities', () => {
  it('hands out only the attacker principal’s handles', () => {
    const world = new World({ seed: 1 });
    expect(Object.keys(handlesFor(world, 'parent-admin'))).toEqual(['parent-admin']);
    expect(Object.keys(handlesFor(world, 'operator'))).toEqual(['operator']);
    expect(Object.keys(handlesFor(world, 'client'))).toEqual([]);
  });

  it('files what the parent-admin reads, lists, and is refused in its ledger', async () => {
    const world = new World({ seed: 1 });
    const parent = parentAdminHandle(world);
    parent.writeDisk('notes.txt', new TextEncoder().encode('hello'));
    expect(new TextDecoder().decode(parent.readDisk('notes.txt'))).toBe('hello');
    expect(parent.listDisk()).toEqual(['notes.txt']);
    expect(() => parent.readDisk('missing')).toThrow(/DISK_NO_SUCH_FILE/);
    const reply = await world.sim.runUntil(parent.kms('ListKeys', {}));
    expect(reply.status).toBe(200);
    expect(channels(world, 'parent-admin')).toEqual(
      expect.arrayContaining(['disk-read notes.txt', 'disk-list', 'disk-read missing error', 'kms-reply ListKeys']),
    );
    const refusal = world.ledger.of('parent-admin').find((o) => o.channel === 'disk-read missing error');
    expect(new TextDecoder().decode(refusal?.bytes)).toMatch(/^DISK_NO_SUCH_FILE: /);
    expect(parent.relay).toBe(world.relayControl);
  });

  it('the operator handle files what the management API returns; the memory dump exists only on a conventional hypervisor', () => {
    const nitro = new World({ seed: 2 });
    const op = operatorHandle(nitro);
    expect(op.dumpGuestMemory).toBeUndefined();
    expect(op.listInstances()).toHaveLength(1);
    expect(channels(nitro, 'operator')).toEqual(['operator-api listInstances']);

    const conventional = new World({ seed: 2, defences: { closedOperatorApi: false } });
    const dump = operatorHandle(conventional).dumpGuestMemory;
    expect(dump).toBeDefined();
    conventional.parent.memory.write(0, new Uint8Array([7, 7, 7]));
    expect(dump!(conventional.parent.instanceId).length).toBeGreaterThan(0);
    expect(channels(conventional, 'operator')).toContain('operator-api dumpGuestMemory');
  });

  it('the co-tenant is another instance with its own role and vsock domain; it cannot see the parent’s enclave', async () => {
    const world = new World({ seed: 3 });
    await world.sim.runUntil(deployModel(world));
    const parentEnclave = await world.sim.runUntil(launchEnclave(world));
    const coTenant = coTenantHandle(world);
    expect(coTenant.instanceId).not.toBe(world.parent.instanceId);
    expect(world.host.instance(coTenant.instanceId).info).toMatchObject({ principal: 'co-tenant', roleArn: CO_TENANT_ROLE_ARN });
    let code = '';
    try {
      coTenant.terminateEnclave(parentEnclave.record.enclaveId);
    } catch (error) {
      code = isEmuError(error) ? error.code : 'untyped';
    }
    expect(code).toBe('HV_NO_SUCH_ENCLAVE');
    expect(parentEnclave.record.state).toBe('running');

    // Given copies of the sealed model, its own enclave asks KMS through its own proxy with its own
    // role: refused (the policy names the parent's role), and the bytes are the co-tenant's.
    for (const path of world.parent.disk.list()) coTenant.writeDisk(path, world.parent.disk.read(path));
    const own = await world.sim.runUntil(coTenant.launchEnclave({}));
    expect(own.ready).toBe(false);
    expect(own.failure).toMatch(/AccessDenied/);
    expect(own.record.parent.instanceId).toBe(coTenant.instanceId);
    expect(channels(world, 'co-tenant')).toContain('enclave-launch');
    expect(world.ledger.of('co-tenant').some((o) => o.channel.startsWith(`kms-endpoint ${CO_TENANT_ROLE_ARN}`))).toBe(true);
    expect(world.ledger.of('parent-admin').some((o) => o.channel.includes(CO_TENANT_ROLE_ARN))).toBe(false);
    coTenant.terminateEnclave(own.record.enclaveId);
    expect(own.record.state).toBe('terminated');
  });
});
