import { defineScenario } from '../../define.ts';
import { decryptWithoutRecipient, deployUnderPolicy, partiesOf, refusedForTheMistake, type PolicyDeployment } from './helpers.ts';
import { ifExistsPolicy } from './policies.ts';

/** KP-05: `StringEqualsIgnoreCaseIfExists` on the image condition: a request with no document has nothing to compare. */
export default defineScenario<PolicyDeployment>({
  id: 'KP-05',
  name: 'pa.key-policy.if-exists-condition',
  title: 'An …IfExists image condition lets a Decrypt without Recipient through',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: ['T1078.004'], atlas: ['AML.T0025'] },
  defence: 'policyLint',
  expect: 'blocked',
  teaching:
    'The owner wrote StringEqualsIgnoreCaseIfExists on kms:RecipientAttestation:ImageSha384 and no Deny for a missing document; IfExists is true when the key is absent, so a call without Recipient satisfies it. ' +
    'KMS lints every policy and refuses an IfExists on an attestation key (as it does unknown or misspelt condition keys), so the deployment fails closed. ' +
    'With the linter off (the control) the parent role calls Decrypt without Recipient and gets the data key in plaintext.',
  setup: (ctx) => deployUnderPolicy(ctx, ifExistsPolicy(partiesOf(ctx.world))),
  attack: decryptWithoutRecipient,
  check: (_ctx, state) => [refusedForTheMistake(state, 'KP_IF_EXISTS_ATTESTATION')],
});
