import { defineScenario } from '../../define.ts';
import { decryptWithoutRecipient, deployUnderPolicy, partiesOf, refusedForTheMistake, type PolicyDeployment } from './helpers.ts';
import { accountRootPolicy } from './policies.ts';

/** KP-01: the console's default "account root may kms:*" statement survives next to the attested Allow. */
export default defineScenario<PolicyDeployment>({
  id: 'KP-01',
  name: 'pa.key-policy.account-root-kms-all',
  title: 'The account root keeps kms:* on the model key; the parent role decrypts without attestation',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: ['T1078.004'], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'policyLint',
  expect: 'blocked',
  teaching:
    'The owner added the attested Allow for the enclave but kept the default statement that gives the account root kms:*, and the root stands for every principal of the account, the parent role included. ' +
    'KMS lints every policy at CreateKey and refuses one that gives the whole account kms:*, so the deployment fails closed and the parent finds nothing to decrypt. ' +
    'With the linter off (the control) the policy is stored, the parent calls Decrypt with no Recipient and gets the data key, and with it the weights.',
  setup: (ctx) => deployUnderPolicy(ctx, accountRootPolicy(partiesOf(ctx.world))),
  attack: decryptWithoutRecipient,
  check: (_ctx, state) => [refusedForTheMistake(state, 'KP_ACCOUNT_WIDE_KMS_ALL')],
});
