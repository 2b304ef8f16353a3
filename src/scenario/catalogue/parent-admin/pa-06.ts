import { defineScenario } from '../../define.ts';
import { parentAdmin } from './helpers.ts';
import { EXFIL_PORT, collectStolen, tamperedImage } from './tampered-image.ts';

/** PA-06: the parent builds its own variant of the enclave that hands every key it gets to the parent. */
export default defineScenario({
  id: 'PA-06',
  name: 'pa.enclave.modified-image',
  title: 'Parent admin launches a modified enclave image that exfiltrates the data key and weights',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-KEYS-ATTESTED', 'INV-NO-CANARY'],
  tags: { attack: [], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'attestedKeyPolicy',
  expect: 'blocked',
  teaching:
    'The parent-admin rebuilds the customer’s enclave with a wrapper that keeps every key and plaintext the app decrypts and serves them on a vsock port, then launches it. ' +
    'The image’s bytes are measured, so its PCR0 is not the approved one and the key policy, pinned to the approved PCR0, makes KMS refuse. ' +
    'With a policy that does not check the image (the control) KMS releases the key to the modified enclave, which passes it and the weights to the parent.',
  setup: async (ctx) => ctx.deployAndLaunch(),
  async attack(ctx, { enclave }) {
    const pa = parentAdmin(ctx);
    // The parent's vCPUs are shared out: it stops the approved enclave to make room for its own (it always may).
    pa.terminateEnclave(enclave.enclaveId);
    // The parent holds the EIF it launches; it unpacks and rebuilds it like any admin with the build tools.
    const launched = await pa.launchEnclave({ image: tamperedImage(ctx.world.launchImage) });
    ctx.note(`tampered enclave ${launched.record.enclaveId}: PCR0 ${launched.record.pcrs[0]?.slice(0, 16)}…, ${launched.ready ? 'ready' : `stopped: ${launched.failure}`}`);
    const stolen = await collectStolen(await pa.connectToEnclave(launched.record.cid, EXFIL_PORT));
    for (const item of stolen) ctx.loot('exfiltrated by the tampered enclave', item);
    ctx.note(`the tampered enclave handed over ${stolen.length} items`);
  },
});
