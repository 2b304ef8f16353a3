import { isEmuError } from '../../../errors.ts';
import { defineScenario } from '../../define.ts';
import { tryTyped } from '../common.ts';
import { HARVEST_BYTES } from '../device/helpers.ts';

/** The slots the driver cycles through first. */
const STAGING_SLOTS_READ = 4;
import { parentAdmin } from './helpers.ts';

/** PA-17: the parent uses the PCIe function its instance holds to read and drive the enclave's accelerator. */
export default defineScenario({
  id: 'PA-17',
  name: 'pa.device.drive-accelerator',
  title: 'The parent admin reads the staging buffers, submits its own work and copies device memory out',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1005'], atlas: ['AML.T0035'] },
  defence: 'deviceConfidentialPath',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  teaching:
    'The parent instance holds the accelerator’s PCIe function: the bounce buffers live in its memory, it can ring the doorbell and BAR-read the device. It reads every staging slot, BAR-reads device memory, and submits a copy-out of device memory into a slot it then reads. ' +
    'On the confidential path the staging slots only ever hold AES-GCM ciphertext, the BAR read is firewalled (all-ones) and the device refuses work from outside the enclave’s SPDM session (ACCEL_NOT_SESSION_HOLDER). ' +
    'The control turns the whole confidential path off (devices in mode off, plaintext bounce buffers) rather than the device’s session binding alone: with only the binding off a copy-out is still refused in confidential mode and the parent’s own work yields ciphertext, so no plaintext would show; the plain path is the one switch whose control reads the weights back.',
  async setup(ctx) {
    const { ready } = await ctx.deployAndLaunch();
    if (!ready) throw new Error('the approved enclave did not start');
  },
  async attack(ctx) {
    const devices = parentAdmin(ctx).devices;
    if (devices === undefined) throw new Error('the parent-admin handle has no devices');
    for (const deviceId of devices.ids()) {
      const short = deviceId.slice(0, 8);
      let read = 0;
      for (let slot = 0; slot < STAGING_SLOTS_READ; slot++) if (tryTyped(ctx, `${short} staging slot ${slot}`, () => devices.readStaging(deviceId, slot)) !== undefined) read++;
      ctx.note(`${short}: read ${read} staging slots`);
      const bar = devices.barRead(deviceId, 0, HARVEST_BYTES);
      ctx.note(`${short} BAR read: ${bar.every((b) => b === 0xff) ? 'all-ones (firewalled)' : 'data'}`);
      try {
        devices.submit(deviceId, { id: 0x5a, op: 'copy-out', stagingSlot: 0, deviceAddress: 0, length: 65536 });
        devices.doorbell(deviceId);
        tryTyped(ctx, `${short} staging slot 0 after copy-out`, () => devices.readStaging(deviceId, 0));
        ctx.note(`${short} accepted the parent's copy-out`);
      } catch (error) {
        if (!isEmuError(error)) throw error;
        ctx.note(`${short} refused the parent's work: ${error.code}`);
      }
    }
  },
});
