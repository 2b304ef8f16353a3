import { concatBytes, utf8 } from '../../../crypto/index.ts';
import { deployModel, launchEnclave } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { deviceOperator, firstDevice, noteLaunch, standardVendorFor, weightsNotOn } from './helpers.ts';

/** What the patch would do; the emulator does not run firmware code, so the bytes only change the digest. */
const PATCH = utf8('\0patch: mirror every decrypted page to the host over DMA');

/** DEV-04: validly signed firmware the vendor never released (an insider's build, or a leaked signing key). */
export default defineScenario({
  id: 'DEV-04',
  name: 'op.device.modified-firmware',
  title: 'The operator boots validly signed firmware that the vendor never released, patched to DMA weights out',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1542', 'T1195.003'], atlas: ['AML.T0010'] },
  defence: 'checkMeasurements',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  teaching:
    'The operator boots a firmware image that carries the vendor’s valid signature and the current svn but is not the release: its code is patched to copy decrypted pages out over DMA (an insider’s build, or a leaked signing key). ' +
    'The boot ROM accepts it (the signature is good), the chain and svn are fine, the mode is confidential: only the firmware measurement differs from the reference the measured device policy pins, and the driver refuses it (DEVICE_MEASUREMENT_MISMATCH). ' +
    'With the measurement check off (the control) the weights go to the patched device, which the scenario check reports (the emulator does not run the patch itself).',
  async setup(ctx) {
    await deployModel(ctx.world);
  },
  async attack(ctx) {
    const op = deviceOperator(ctx);
    const slot = firstDevice(op);
    const vendor = standardVendorFor(slot.flavour);
    const current = vendor.firmware.current;
    const patched = vendor.release({ version: current.version, svn: current.svn, code: concatBytes(current.code, PATCH) });
    op.stageDeviceFirmware(slot.deviceId, patched);
    op.resetDevice(slot.deviceId);
    ctx.note(`booted a patched ${current.version} (svn ${current.svn}), validly signed`);
    noteLaunch(ctx, await launchEnclave(ctx.world));
  },
  check: (ctx) => {
    const running = ctx.world.accelerators[0]?.firmware();
    const reference = standardVendorFor('gpu').referenceManifest().firmwareDigestHex;
    return [weightsNotOn(ctx, running !== undefined && running.digestHex !== reference, 'whose firmware is not the vendor’s release')];
  },
});
