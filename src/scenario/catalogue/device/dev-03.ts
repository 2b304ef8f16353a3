import { deployModel, launchEnclave } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { deviceOperator, firstDevice, harvest, noteLaunch } from './helpers.ts';

/** DEV-03: a device switched to devtools mode (debuggable, unfirewalled) before the tenant launches. */
export default defineScenario({
  id: 'DEV-03',
  name: 'op.device.devtools-mode',
  title: 'The operator switches the GPU to devtools mode before launch and reads it while it serves',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1562'], atlas: ['AML.T0010'] },
  defence: 'requireConfidentialMode',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  // The mode register is also a pinned measurement; this scenario studies the driver's explicit mode check.
  baselineDefencesOff: ['checkMeasurements'],
  teaching:
    'The operator writes devtools into the GPU’s mode register and resets it before the tenant launches: the device still attests, signed by its genuine key, but as a debuggable device whose memory and counters the management plane reads. ' +
    'The driver requires mode confidential in the signed report and refuses the device (DEVICE_MODE_REJECTED); the digest pin, which would also see the mode register, is off in both runs so the mode check is studied alone. ' +
    'With the mode check off (the control) the weights go to the devtools device and the operator reads them back through BAR reads and perf counters.',
  async setup(ctx) {
    await deployModel(ctx.world);
  },
  async attack(ctx) {
    const op = deviceOperator(ctx);
    const slot = firstDevice(op);
    op.setDevicePendingMode(slot.deviceId, 'devtools');
    const report = op.resetDevice(slot.deviceId);
    ctx.note(`mode register devtools, reset: device now in ${report.mode}`);
    noteLaunch(ctx, await launchEnclave(ctx.world));
    const counters = op.devicePerfCounters(slot.deviceId);
    ctx.note(`perf counters: ${counters === null ? 'none' : `bytesIn ${counters['bytesIn'] ?? 0}`}`);
    harvest(ctx, op.readDeviceMemory, slot.deviceId);
  },
});
