import { defineScenario } from '../../define.ts';
import { parentAdmin } from './helpers.ts';

/** PA-07: debug mode opens the console to the parent; the platform answers by zeroing the image PCRs. */
export default defineScenario({
  id: 'PA-07',
  name: 'pa.enclave.debug-mode',
  title: 'Parent admin launches the approved image in debug mode to read its console',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-KEYS-ATTESTED', 'INV-NO-CANARY'],
  tags: { attack: [], atlas: [] },
  defence: 'attestedKeyPolicy',
  expect: 'blocked',
  teaching:
    'The parent-admin launches the genuine, approved image with --debug-mode, which lets it read the enclave’s console. ' +
    'A debug enclave’s attestation documents carry all-zero PCR0/1/2, so a key policy pinned to the approved PCR0 refuses it and the debug enclave never holds the data key. ' +
    'With a policy that ignores the measurement (the control) KMS releases the model key to a debug enclave, and the key-release checker flags a release to the zero PCR0.',
  setup: async (ctx) => ctx.deployAndLaunch(),
  async attack(ctx, { enclave }) {
    const pa = parentAdmin(ctx);
    // The parent's vCPUs are shared out: it stops the approved enclave to make room for its own (it always may).
    pa.terminateEnclave(enclave.enclaveId);
    const launched = await pa.launchEnclave({ debugMode: true });
    ctx.note(`debug enclave ${launched.record.enclaveId}: PCR0 ${launched.record.pcrs[0]?.slice(0, 16)}…, ${launched.ready ? 'ready' : `stopped: ${launched.failure}`}`);
    const lines = pa.consoleLines();
    ctx.note(`read ${lines.length} console lines`);
  },
});
