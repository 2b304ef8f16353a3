import { teardownEnclave } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { deviceOperator, harvest } from '../device/helpers.ts';

/** OP-10: the operator harvests what a freed accelerator still holds once the tenant is gone. */
export default defineScenario({
  id: 'OP-10',
  name: 'op.device.residue-after-release',
  title: 'The operator reads a freed accelerator’s memory after the enclave that used it is gone',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1005'], atlas: ['AML.T0035'] },
  defence: 'deviceResetOnReassign',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  // Studies the release path alone: a device whose management plane is unfirewalled, read only after the tenant left.
  baselineDefencesOff: ['memoryFirewall'],
  teaching:
    'The tenant terminates its enclave; its GPU goes back to the pool. The operator waits until then and reads the freed device through the management plane, hoping the weights are still there. ' +
    'The host resets every device an enclave held when it releases it (scrub with read-back, keys wiped, sessions ended) before it can be reassigned. ' +
    'To study that release step alone the firewall is off in both runs and the operator reads only after the release; without the release reset (the control) the weights are still in device memory and the read returns them. CT-03 studies the device’s own scrub instead.',
  async setup(ctx) {
    const { enclave, ready } = await ctx.deployAndLaunch();
    if (!ready) throw new Error('the approved enclave did not start');
    teardownEnclave(ctx.world, enclave);
    ctx.note('the tenant terminated its enclave; its devices were released');
  },
  async attack(ctx) {
    const op = deviceOperator(ctx);
    for (const device of op.listDevices()) harvest(ctx, op.readDeviceMemory, device.deviceId);
  },
});
