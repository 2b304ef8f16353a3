import type { AcceleratorFlavour } from '../../../accelerator/index.ts';
import { deployModel, launchEnclave } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { TRAINIUM_ASSUMED, deviceOperator, firstDevice, harvest, noteLaunch } from './helpers.ts';

/** DEV-03: a device switched to devtools mode (debuggable, unfirewalled) before the tenant launches; one object per flavour. */
function devtoolsScenario(flavour: AcceleratorFlavour) {
  const gpu = flavour === 'gpu';
  const product = gpu ? 'GPU' : 'Trainium device';
  return defineScenario({
    id: gpu ? 'DEV-03' : 'DEV-03-TRN',
    name: gpu ? 'op.device.devtools-mode' : 'op.device.devtools-mode-trainium',
    title: `The operator switches the ${product} to devtools mode before launch and reads it while it serves`,
    attacker: 'operator',
    promises: ['P1'],
    invariants: ['INV-NO-CANARY'],
    tags: { attack: ['T1562'], atlas: ['AML.T0010'] },
    defence: 'requireConfidentialMode',
    expect: 'blocked',
    world: { accelerators: { flavour, count: 1 } },
    // The mode register is also a pinned measurement; this scenario studies the driver's explicit mode check.
    baselineDefencesOff: ['checkMeasurements'],
    teaching:
      `The operator writes devtools into the ${product}’s mode register and resets it before the tenant launches: the device still attests, ${gpu ? 'signed by its genuine key' : 'and the Nitro controller’s endorsement says so truthfully'}, but as a debuggable device whose memory and counters the management plane reads. ` +
      `The driver requires mode confidential in the ${gpu ? 'signed SPDM report' : 'endorsement'} and refuses the device (DEVICE_MODE_REJECTED); the digest pin, which would also see the mode register, is off in both runs so the mode check is studied alone. ` +
      'With the mode check off (the control) the weights go to the devtools device and the operator reads them back through BAR reads and perf counters.' +
      (gpu ? '' : ` ${TRAINIUM_ASSUMED}`),
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
}

export default devtoolsScenario('gpu');
export const devtoolsTrainium = devtoolsScenario('trainium');
