import { PAGE_BYTES } from '../../../hypervisor/index.ts';
import { isEmuError } from '../../../errors.ts';
import { defineScenario } from '../../define.ts';
import { attackerHardware, deviceOperator } from '../device/helpers.ts';

/** Bound on the frames one sweep reads. */
const SWEEP_FRAMES_MAX = 4096;

/** OP-03: a peripheral the operator installs DMAs into the enclave's memory. */
export default defineScenario({
  id: 'OP-03',
  name: 'op.device.rogue-dma',
  title: 'The operator installs a DMA-capable device of its own and sweeps the enclave’s memory with it',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1200'], atlas: ['AML.T0035'] },
  defence: 'deviceIommu',
  expect: 'blocked',
  teaching:
    'The enclave decrypts the (CPU) model into its own pages. The operator puts a DMA-capable device of its own in a free PCIe slot and programs its engine to read the host frames where the enclave lives. ' +
    'The host’s IOMMU confines each device’s DMA to the frames of the instance it is assigned through; this device is assigned to nobody and enclave frames belong to the enclave alone, so every request faults (HOST_IOMMU_FAULT) before a byte moves. ' +
    'Without the IOMMU (the control) the sweep reads the enclave’s pages, weights included. (With accelerators the weights live in device memory instead; OP-09 and OP-10 cover that.)',
  async setup(ctx) {
    const { ready } = await ctx.deployAndLaunch();
    if (!ready) throw new Error('the approved enclave did not start');
  },
  async attack(ctx) {
    const op = deviceOperator(ctx);
    const rogue = attackerHardware(ctx, 'gpu', 'op03');
    const install = ctx.attacker.operator?.installDevice;
    if (install === undefined) throw new Error('the operator handle lacks installDevice');
    const slot = install(rogue.device, rogue.vendorRootDer);
    // HARNESS: a real sweep walks every frame; the emulator shortens it to the enclave frames that hold data.
    const { world } = ctx;
    const frames = world.host.enclaves.flatMap((e) => e.frames).filter((f) => world.host.memory.isTouched(f)).slice(0, SWEEP_FRAMES_MAX);
    let read = 0;
    let faults = 0;
    for (const frame of frames) {
      try {
        op.deviceDma(slot.deviceId, frame * PAGE_BYTES, PAGE_BYTES);
        read++;
      } catch (error) {
        if (!isEmuError(error)) throw error;
        faults++;
      }
    }
    ctx.note(`DMA sweep of ${frames.length} enclave frames from ${slot.slot}: ${read} read, ${faults} faulted`);
  },
});
