import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/device.ts';
import { CATALOGUE } from '../../src/scenario/catalogue/index.ts';
import { runScenario } from '../../src/scenario/runner.ts';
import { coTenantHandle, operatorHandle, parentAdminHandle } from '../../src/scenario/index.ts';
import { World, launchEnclave } from '../../src/world/index.ts';
import { canaryHitsOf, eachBlockedAndCaught } from './helpers.ts';

const channelsOf = (world: World, principal: 'parent-admin' | 'operator' | 'co-tenant') => world.ledger.of(principal).map((o) => o.channel);

/** What the control must show: the weights read back by the operator, or the scenario's own check on where they went. */
const CONTROL_EVIDENCE: Readonly<Record<string, 'operator-canary' | 'SCENARIO-WEIGHTS-ON-UNTRUSTED-DEVICE' | 'INV-FAIL-CLOSED'>> = {
  'DEV-01': 'operator-canary',
  'DEV-02': 'SCENARIO-WEIGHTS-ON-UNTRUSTED-DEVICE',
  'DEV-03': 'operator-canary',
  'DEV-03-TRN': 'operator-canary',
  'DEV-04': 'SCENARIO-WEIGHTS-ON-UNTRUSTED-DEVICE',
  'DEV-05': 'operator-canary',
  'DEV-07': 'INV-FAIL-CLOSED',
};

/** The driver's typed refusal each defended run must end with (the app reports it as device-refused). */
const REFUSAL: Readonly<Record<string, string>> = {
  'DEV-01': 'DEVICE_CHAIN_INVALID',
  'DEV-02': 'DEVICE_FIRMWARE_ROLLBACK',
  'DEV-03': 'DEVICE_MODE_REJECTED',
  'DEV-03-TRN': 'DEVICE_MODE_REJECTED',
  'DEV-04': 'DEVICE_MEASUREMENT_MISMATCH',
  'DEV-05': 'SPDM_BAD_SIGNATURE',
  'DEV-07': 'ACCEL_TAG_MISMATCH',
};

describe('catalogue: accelerators (DEV)', () => {
  it('the group is in the catalogue, after the other groups, every id once', () => {
    const ids = CATALOGUE.map((s) => s.id);
    for (const scenario of scenarios) expect(ids.filter((id) => id === scenario.id)).toHaveLength(1);
    expect(ids.slice(-scenarios.length)).toEqual(scenarios.map((s) => s.id));
    for (const id of ['OP-09', 'OP-10', 'PA-17', 'CT-03']) expect(ids).toContain(id);
  });

  it('device capabilities file what they return, and refusals, in the attacker’s ledger; only assigned devices answer an instance', async () => {
    const world = new World({ seed: 5, accelerators: { flavour: 'gpu', count: 1 } });
    const op = operatorHandle(world);
    const [device] = op.listDevices!();
    const deviceId = device!.deviceId;
    const bar = op.readDeviceMemory!(deviceId, 0, 64);
    expect(bar.every((b) => b === 0xff)).toBe(true); // confidential: firewalled
    expect(op.devicePerfCounters!(deviceId)).toBeNull();
    expect(channelsOf(world, 'operator')).toEqual(['operator-api listDevices', 'operator-api readDeviceMemory', 'operator-api devicePerfCounters']);
    const filed = world.ledger.of('operator').find((o) => o.channel === 'operator-api readDeviceMemory');
    expect(filed?.size).toBe(64);

    // Before launch the device is assigned to nobody: the parent's PCIe-function calls are refused, typed and filed.
    const parent = parentAdminHandle(world).devices!;
    expect(parent.ids()).toEqual([]);
    expect(() => parent.barRead(deviceId, 0, 64)).toThrow(/HOST_DEVICE_NOT_ASSIGNED/);
    expect(channelsOf(world, 'parent-admin')).toContain(`device ${deviceId.slice(0, 8)} BAR read error`);

    await world.sim.runUntil(launchEnclave(world));
    expect(parent.ids()).toEqual([deviceId]);
    expect(parent.barRead(deviceId, 0, 64).every((b) => b === 0xff)).toBe(true);
    // Another customer's instance never holds this device's function.
    const other = coTenantHandle(world).devices!;
    expect(other.ids()).toEqual([]);
    expect(() => other.readStaging(deviceId, 0)).toThrow(/HOST_DEVICE_NOT_ASSIGNED/);
  });

  it('reproduces: the same seed gives the same digests for a device scenario, defended and control', async () => {
    const dev07 = scenarios.find((s) => s.id === 'DEV-07')!;
    const [a, b] = [await runScenario(dev07, { seed: 3 }), await runScenario(dev07, { seed: 3 })];
    expect(b.runs.defended.digest).toBe(a.runs.defended.digest);
    expect(b.runs.control?.digest).toBe(a.runs.control?.digest);
  }, 30_000);

  eachBlockedAndCaught(scenarios, (scenario, result, why) => {
    const control = result.runs.control!;
    const defended = result.runs.defended;
    expect(defended.notes.join(' '), why).toContain(REFUSAL[scenario.id]!);
    const evidence = CONTROL_EVIDENCE[scenario.id];
    if (evidence === 'INV-FAIL-CLOSED') {
      // The refusal is still typed in the control; what differs is that the refused transfer wrote device memory.
      expect(control.verdicts.some((v) => v.invariant === evidence && !v.held && v.detail.includes('still wrote device memory')), why).toBe(true);
      expect(defended.verdicts.find((v) => v.invariant === evidence)?.held, why).toBe(true);
      return;
    }
    expect(control.notes.join(' '), why).toContain('launch: ready');
    if (evidence === 'operator-canary') {
      expect(canaryHitsOf(control, 'operator').length, why).toBeGreaterThan(0);
    } else {
      expect(control.verdicts.some((v) => v.invariant === 'SCENARIO-WEIGHTS-ON-UNTRUSTED-DEVICE' && !v.held), why).toBe(true);
      expect(defended.verdicts.find((v) => v.invariant === 'SCENARIO-WEIGHTS-ON-UNTRUSTED-DEVICE')?.held, why).toBe(true);
    }
    expect(canaryHitsOf(defended, 'operator')).toEqual([]);
  });
});
