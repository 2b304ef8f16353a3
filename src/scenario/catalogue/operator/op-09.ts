import { defineScenario } from '../../define.ts';
import { deviceOperator, harvest } from '../device/helpers.ts';

/** OP-09: the operator reads device memory and counters through the management plane while the enclave serves. */
export default defineScenario({
  id: 'OP-09',
  name: 'op.device.management-plane-read',
  title: 'The operator reads accelerator memory and perf counters through the management plane',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1005'], atlas: ['AML.T0035'] },
  defence: 'memoryFirewall',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  teaching:
    'While the enclave serves, the operator uses the device management plane it legitimately holds (health, resets) to BAR-read the GPU’s memory and pull its perf counters. ' +
    'A device in confidential mode firewalls its memory from the management plane: reads return all-ones and counters are off. ' +
    'With the firewall off (the control) the BAR read returns the weights the enclave streamed in.',
  async setup(ctx) {
    const { ready } = await ctx.deployAndLaunch();
    if (!ready) throw new Error('the approved enclave did not start');
  },
  async attack(ctx) {
    const op = deviceOperator(ctx);
    for (const device of op.listDevices()) {
      const counters = op.devicePerfCounters(device.deviceId);
      ctx.note(`perf counters of ${device.deviceId.slice(0, 8)}: ${counters === null ? 'none' : JSON.stringify(counters)}`);
      harvest(ctx, op.readDeviceMemory, device.deviceId);
    }
  },
});
