import { defineScenario } from '../../define.ts';
import { deployUnderPolicy, launchOwnBuild, partiesOf, refusedForTheMistake, type PolicyDeployment } from './helpers.ts';
import { roleOnlyPolicy } from './policies.ts';

/** KP-04: the policy names only PCR3 (the parent's role), which every image launched by that parent carries. */
export default defineScenario<PolicyDeployment>({
  id: 'KP-04',
  name: 'pa.key-policy.no-image-measurement',
  title: 'The policy checks only PCR3 (the role); any image the parent launches gets the key',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'policyLint',
  expect: 'blocked',
  teaching:
    'The owner pinned the enclave to the parent by PCR3 (the hash of its IAM role) and never named the image. PCR3 says who launched the enclave, not what it runs, so the parent launches its own build and it qualifies. ' +
    'KMS lints every policy and refuses one whose attestation conditions do not pin the image (ImageSha384 or PCR0), so the deployment fails closed. ' +
    'With the linter off (the control) the parent’s own image gets the data key and hands it and the weights over.',
  setup: (ctx) => deployUnderPolicy(ctx, roleOnlyPolicy(partiesOf(ctx.world)), { launch: false }),
  attack: (ctx) => launchOwnBuild(ctx, { debugMode: false }),
  check: (_ctx, state) => [refusedForTheMistake(state, 'KP_WEAK_MEASUREMENT')],
});
