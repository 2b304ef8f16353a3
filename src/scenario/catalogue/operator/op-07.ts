import { encodeFirmware, parseFirmware } from '../../../hypervisor/index.ts';
import { defineScenario } from '../../define.ts';
import { tryTyped } from '../common.ts';
import { operator, stealKeyFromEnclaveHosts } from './helpers.ts';

export default defineScenario<{ approvedPcr0: string }>({
  id: 'OP-07',
  name: 'op.firmware.unsigned-debug-build',
  title: 'The operator deploys an unsigned card firmware that attests whatever it is told',
  attacker: 'operator',
  promises: ['P1', 'P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0048.004'] },
  defence: 'signedFirmwareOnly',
  expect: 'blocked',
  teaching:
    'The operator rebuilds the card firmware with a debug console that signs attestation documents for any PCRs, then forges the approved image’s identity over its own key and asks KMS for the data key through the parent’s proxy. ' +
    'Measured boot runs only firmware signed by the platform’s firmware key, so the unsigned build never boots. ' +
    'In the control it boots, the platform’s genuine chain signs the forged document, KMS releases the key to it, and the data key is in the operator’s hands.',
  async setup(ctx) {
    await ctx.deployAndLaunch();
    // The owner publishes the approved PCR0 so clients can check it: public knowledge, not a secret.
    return { approvedPcr0: ctx.world.approvedPcr0 };
  },
  async attack(ctx, { approvedPcr0 }) {
    const op = operator(ctx);
    if (op.currentFirmware === undefined || op.deployFirmware === undefined || op.snapshotVolume === undefined) {
      throw new Error('the operator handle lacks the firmware or volume calls');
    }
    const running = parseFirmware(op.currentFirmware());
    const debugBuild = encodeFirmware({ ...running.manifest, version: `${running.manifest.version}-debug`, attestationService: 'debug' }, new Uint8Array(0));
    const booted = tryTyped(ctx, 'deploy the unsigned debug build', () => op.deployFirmware!(debugBuild));
    const console = op.firmwareConsole;
    if (booted === undefined || console === undefined) return ctx.note('production firmware still runs: no console signs arbitrary PCRs');
    ctx.note(`debug firmware ${booted.version} booted`);
    await stealKeyFromEnclaveHosts(ctx, op, { sign: (id, fields) => console.attest(id, fields), connectVsock: (id, port) => console.connectVsock(id, port) }, approvedPcr0);
  },
});
