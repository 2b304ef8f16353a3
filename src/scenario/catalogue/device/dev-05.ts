import { createSpdmRequester } from '../../../accelerator/index.ts';
import { deployModel, launchEnclave } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { attackerDevice, deviceOperator, firstDevice, harvest, noteLaunch } from './helpers.ts';

/** Mailbox frames: a type byte (0x05 plain SPDM), then version, then the request or response code. */
const PLAIN_FRAME = 0x05;
const MEASUREMENTS = 0x60;

/** DEV-05: the genuine device attests, then the operator swaps in its own device under the same bus address. */
export default defineScenario({
  id: 'DEV-05',
  name: 'op.device.swap-after-attestation',
  title: 'The operator swaps the GPU for its own right after the signed measurements, before the session key',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1200'], atlas: ['AML.T0010'] },
  defence: 'bindSessionToAttestedKey',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  teaching:
    'The genuine GPU answers the enclave’s GET_MEASUREMENTS with a report signed by its attested key; a bus analyser on the slot tells the operator when that report has passed, and it swaps in a device of its own under the same bus address and assignment before KEY_EXCHANGE. ' +
    'The driver runs KEY_EXCHANGE against the key it just attested: the replacement (readied by the operator to answer KEY_EXCHANGE at once) cannot sign the transcript with that key, so the session fails (DEVICE_SESSION_FAILED) and no key or weight reaches it. ' +
    'With the binding off (the control) the driver takes whatever leaf the responder presents at KEY_EXCHANGE, keys the replacement, streams the weights into it, and the operator reads them back.',
  async setup(ctx) {
    await deployModel(ctx.world);
  },
  async attack(ctx) {
    const op = deviceOperator(ctx);
    const watch = ctx.attacker.operator?.watchDeviceBus;
    if (watch === undefined) throw new Error('the operator handle lacks watchDeviceBus');
    const slot = firstDevice(op);
    const replacement = attackerDevice(ctx, slot.flavour, 'dev05');
    // Its own device, readied (VERSION, CAPABILITIES, ALGORITHMS) so it can answer the enclave's KEY_EXCHANGE at once.
    createSpdmRequester(ctx.world.sim.prng('attacker.device.dev05.prime'), (request) => replacement.spdm(request)).negotiate();
    let swapped = false;
    watch(slot.deviceId, (direction, bytes) => {
      if (swapped || direction !== 'to-enclave' || bytes[0] !== PLAIN_FRAME || bytes[2] !== MEASUREMENTS) return;
      swapped = true;
      op.swapDevice(slot.deviceId, replacement);
    });
    noteLaunch(ctx, await launchEnclave(ctx.world));
    ctx.note(swapped ? `swapped ${slot.slot} after the signed measurements` : 'the measurements never passed: no swap');
    harvest(ctx, op.readDeviceMemory, slot.deviceId);
  },
});
