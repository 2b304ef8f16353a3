import { defineScenario } from '../../define.ts';
import { deployUnderPolicy, launchOwnBuild, partiesOf, refusedForTheMistake, type PolicyDeployment } from './helpers.ts';
import { zeroPcrPolicy } from './policies.ts';

/** KP-03: a debug-mode enclave measures as all zeros whatever it runs, so a zero PCR0 in the policy admits any image. */
export default defineScenario<PolicyDeployment>({
  id: 'KP-03',
  name: 'pa.key-policy.zero-pcr-allowed',
  title: 'The all-zero (debug) PCR0 is left in the production policy; the parent runs its own image in debug mode',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'policyLint',
  expect: 'blocked',
  teaching:
    'While debugging, the owner added the all-zero PCR0 to the allowed images and never took it out. A debug-mode enclave reports zero PCRs whatever image it runs, so the parent launches its own build in debug mode and it passes the check. ' +
    'KMS lints every policy and refuses one that allows a zero PCR, so the deployment fails closed. ' +
    'With the linter off (the control) the debug enclave gets the data key and hands it and the weights to the parent.',
  // No approved enclave runs: the parent's own build takes the vCPUs (it could as well terminate the real one first).
  setup: (ctx) => deployUnderPolicy(ctx, zeroPcrPolicy(partiesOf(ctx.world)), { launch: false }),
  attack: (ctx) => launchOwnBuild(ctx, { debugMode: true }),
  check: (_ctx, state) => [refusedForTheMistake(state, 'KP_ZERO_PCR')],
});
