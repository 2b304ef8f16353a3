import { defineScenario } from '../../define.ts';
import { kmsOutcome } from '../common.ts';
import { decryptDataKey, exploitKeyReply, parentAdmin, readManifest } from './helpers.ts';

/** PA-08: the parent's role is the one KMS sees for the enclave's calls, so it simply asks KMS itself. */
export default defineScenario({
  id: 'PA-08',
  name: 'pa.kms.decrypt-without-attestation',
  title: 'Parent admin calls KMS Decrypt and GenerateDataKey with its own role, no attestation',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: ['T1078.004'], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'attestedKeyPolicy',
  expect: 'blocked',
  teaching:
    'The parent-admin holds the IAM role the enclave uses at KMS, and the sealed data key is on its disk, so it calls Decrypt (and GenerateDataKey) itself. ' +
    'The key policy allows Decrypt to that role only with a Recipient whose PCR0 is the approved image and denies it when the condition key is absent, so KMS refuses. ' +
    'With the policy left open to the role (the control) KMS returns the data key in plaintext and the parent decrypts the weights.',
  setup: async (ctx) => ctx.deployAndLaunch(),
  async attack(ctx) {
    const pa = parentAdmin(ctx);
    const decrypted = await decryptDataKey(pa);
    ctx.note(`Decrypt without Recipient: ${kmsOutcome(decrypted)}`);
    exploitKeyReply(ctx, pa, decrypted.body);
    const generated = await pa.kms('GenerateDataKey', { KeyId: readManifest(pa).keyId, KeySpec: 'AES_256' });
    ctx.note(`GenerateDataKey without Recipient: ${kmsOutcome(generated)}`);
  },
});
