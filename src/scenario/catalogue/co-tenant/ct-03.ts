import { teardownEnclave } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { HARVEST_BYTES } from '../device/helpers.ts';
import { coTenant, coTenantImage } from './helpers.ts';

/** CT-03: the next tenant of an accelerator reads what the previous tenant left in its memory. */
export default defineScenario({
  id: 'CT-03',
  name: 'ct.device.leftover-memory',
  title: 'The next tenant of the accelerator resets it into devtools mode and reads leftover device memory',
  attacker: 'co-tenant',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1005'], atlas: ['AML.T0035'] },
  defence: 'scrubOnReset',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  teaching:
    'Our tenant served on the GPU and terminated; the platform assigns the freed device to the co-tenant’s enclave. The co-tenant holds its PCIe function now: it switches the mode register to devtools, resets the device and BAR-reads its memory. ' +
    'Every reset scrubs device memory (zeroes every page, verifies by read-back) before the new mode applies: the release reset and the co-tenant’s own reset both leave nothing. ' +
    'With the device’s scrub off (the control) the resets keep the pages and the devtools read returns our weights. OP-10 studies the host’s release reset instead; this scenario studies the scrub every reset relies on, which no host policy can replace.',
  async setup(ctx) {
    const { enclave, ready } = await ctx.deployAndLaunch();
    if (!ready) throw new Error('the approved enclave did not start');
    teardownEnclave(ctx.world, enclave);
    ctx.note('our tenant terminated its enclave; its devices were released');
  },
  async attack(ctx) {
    const ct = coTenant(ctx);
    const launched = await ct.launchEnclave({ image: coTenantImage(ctx.world.approvedImage) });
    ctx.note(`co-tenant enclave ${launched.record.enclaveId}: ${launched.record.state}`);
    // HARNESS: the platform's placement hands the freed device to the co-tenant's enclave (not the attacker's act).
    for (const device of ctx.world.host.devices) ctx.world.host.assignDevice(device.deviceId, launched.record.enclaveId);
    const devices = ct.devices;
    if (devices === undefined) throw new Error('the co-tenant handle has no devices');
    for (const deviceId of devices.ids()) {
      devices.setPendingMode(deviceId, 'devtools');
      const report = devices.reset(deviceId);
      const bytes = devices.barRead(deviceId, 0, HARVEST_BYTES);
      ctx.note(`${deviceId.slice(0, 8)} reset into ${report.mode} (${report.scrubbedPages} pages scrubbed); read ${bytes.every((b) => b === 0) ? 'only zeros' : 'data'}`);
    }
  },
});
