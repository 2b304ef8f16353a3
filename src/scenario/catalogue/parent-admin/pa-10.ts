import { concatBytes, sha384, toHex } from '../../../crypto/index.ts';
import { EifSectionType, readEif } from '../../../enclave/index.ts';
import { defineScenario } from '../../define.ts';
import { parentAdmin } from './helpers.ts';
import { EXFIL_PORT, collectStolen, tamperedImage } from './tampered-image.ts';

/**
 * The digests the Nitro card extends into PCR0 (whole image), PCR1 (kernel, cmdline, bootstrap ramdisk) and PCR2
 * (application ramdisks), computed by the parent from an EIF it holds, the way nitro-cli's describe-eif does.
 */
function imageDigests(image: Uint8Array): Array<[number, string]> {
  const whole: Uint8Array[] = [];
  const bootstrap: Uint8Array[] = [];
  const app: Uint8Array[] = [];
  let ramdisks = 0;
  for (const section of readEif(image).sections) {
    if (section.type === EifSectionType.Kernel || section.type === EifSectionType.Cmdline) {
      whole.push(section.data);
      bootstrap.push(section.data);
    } else if (section.type === EifSectionType.Ramdisk) {
      whole.push(section.data);
      (ramdisks++ === 0 ? bootstrap : app).push(section.data);
    }
  }
  return [
    [0, toHex(sha384(concatBytes(...whole)))],
    [1, toHex(sha384(concatBytes(...bootstrap)))],
    [2, toHex(sha384(concatBytes(...app)))],
  ];
}

/** PA-10: a debug enclave starts from all-zero PCRs; extending them with the approved digests would forge its identity. */
export default defineScenario({
  id: 'PA-10',
  name: 'pa.nsm.extend-locked-pcr',
  title: 'Parent admin’s debug enclave extends its locked image PCRs to the approved values',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: [], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'nsmLockEnforced',
  expect: 'blocked',
  teaching:
    'A debug-mode enclave reports PCR0/1/2 as zero, and PCR0 of the approved image is just SHA-384(zeros ‖ digest of the image), a digest anyone with the EIF can compute. ' +
    'The parent-admin launches a tampered build in debug mode that extends PCR0/1/2 with the approved digests, so its documents would claim the approved image. ' +
    'The NSM locks PCR0–15 at boot and refuses the extension, so KMS sees zero PCRs and refuses; an NSM that ignores the lock (the control) lets the debug enclave pass as the approved one and hand the key to the parent.',
  setup: async (ctx) => ctx.deployAndLaunch(),
  async attack(ctx, { enclave }) {
    const pa = parentAdmin(ctx);
    pa.terminateEnclave(enclave.enclaveId);
    const extend = imageDigests(ctx.world.launchImage)
      .map(([index, hex]) => `try { enclave.nsm.extendPcr(${index}, Uint8Array.from(${JSON.stringify(hex)}.match(/../g), (h) => parseInt(h, 16))); } catch (error) { enclave.console.log('extend PCR${index} refused'); }`)
      .join('\n  ');
    const launched = await pa.launchEnclave({ image: tamperedImage(ctx.world.launchImage, extend), debugMode: true });
    ctx.note(`debug enclave ${launched.record.enclaveId}: ${launched.ready ? 'ready' : `stopped: ${launched.failure}`}; console: ${pa.consoleLines().join(' / ')}`);
    const stolen = await collectStolen(await pa.connectToEnclave(launched.record.cid, EXFIL_PORT));
    for (const item of stolen) ctx.loot('exfiltrated by the debug enclave', item);
  },
});
