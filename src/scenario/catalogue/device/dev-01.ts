import { deployModel, launchEnclave } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { attackerDevice, deviceOperator, firstDevice, harvest, noteLaunch } from './helpers.ts';

/** DEV-01: the operator puts a device of its own making (another vendor PKI, no firewall) in the enclave's slot. */
export default defineScenario({
  id: 'DEV-01',
  name: 'op.device.forged-gpu',
  title: 'The operator swaps in a GPU from another vendor PKI before launch',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1200'], atlas: ['AML.T0010'] },
  defence: 'verifyDeviceChain',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  // A forger signs whatever measurements it likes with its own key: the reference values do not stop it, the chain does.
  baselineDefencesOff: ['checkMeasurements'],
  teaching:
    'Before the tenant launches, the operator puts a GPU of its own making in the slot the enclave will be given: same product, same names, but its identity chains to a vendor PKI the operator controls, and it has no memory firewall. ' +
    'The enclave’s driver checks the SPDM certificate chain against the vendor root pinned in the measured device policy; the forged chain does not verify (DEVICE_CHAIN_INVALID), so no session key and no weight reaches the device. ' +
    'The reference-measurement check is off in both runs because a forger can report the reference values with its own key; with the chain check off too (the control) the driver streams the weights into the fake device and the operator reads them back through its management plane.',
  async setup(ctx) {
    await deployModel(ctx.world);
  },
  async attack(ctx) {
    const op = deviceOperator(ctx);
    const slot = firstDevice(op);
    op.swapDevice(slot.deviceId, attackerDevice(ctx, slot.flavour, 'dev01'));
    ctx.note(`swapped an own-PKI ${slot.flavour} device into ${slot.slot}`);
    noteLaunch(ctx, await launchEnclave(ctx.world));
    harvest(ctx, op.readDeviceMemory, slot.deviceId);
  },
});
