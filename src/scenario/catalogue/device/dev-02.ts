import { VULNERABLE_SVN } from '../../../accelerator/index.ts';
import { deployModel, launchEnclave } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { standardVendorFor, deviceOperator, firstDevice, noteLaunch, weightsNotOn } from './helpers.ts';

/** DEV-02: a genuine device, rolled back to old, validly signed firmware with a known flaw. */
export default defineScenario({
  id: 'DEV-02',
  name: 'op.device.vulnerable-firmware',
  title: 'The operator rolls the GPU back to old, validly signed firmware before launch',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1495'], atlas: ['AML.T0010'] },
  defence: 'enforceMinSvn',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  // This scenario studies the driver's svn check: the device's own fuse and the digest pin are the other layers.
  baselineDefencesOff: ['antiRollbackFuse', 'checkMeasurements'],
  teaching:
    `The operator stages the vendor’s old firmware (svn ${VULNERABLE_SVN}, validly signed, with a published flaw) on a genuine GPU and resets it before the tenant launches. ` +
    'Two layers stand in the way: the device’s anti-rollback fuse and the driver’s minimum-svn check; this scenario turns the fuse (and the digest pin) off in both runs to study the driver alone. ' +
    'The driver reads the svn from the signed report and refuses it below the policy minimum (DEVICE_FIRMWARE_ROLLBACK): the weights never reach the device. ' +
    'With the svn check off (the control) the weights go to a device running firmware below the minimum, which the scenario check reports (the emulator does not run the flaw itself).',
  async setup(ctx) {
    await deployModel(ctx.world);
  },
  async attack(ctx) {
    const op = deviceOperator(ctx);
    const slot = firstDevice(op);
    op.stageDeviceFirmware(slot.deviceId, standardVendorFor(slot.flavour).firmware.vulnerable);
    const report = op.resetDevice(slot.deviceId);
    ctx.note(`staged svn ${VULNERABLE_SVN} firmware and reset (epoch ${report.epoch})`);
    noteLaunch(ctx, await launchEnclave(ctx.world));
  },
  check: (ctx) => {
    const running = ctx.world.accelerators[0]?.firmware();
    return [weightsNotOn(ctx, running !== undefined && running.svn < standardVendorFor('gpu').minSvn, `running firmware svn ${running?.svn ?? '?'}`)];
  },
});
