import { clientInference, PATHS, type Deployment, type InferenceOutcome } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { deployUnderPolicy } from '../key-policy/helpers.ts';
import { parentAdmin } from '../parent-admin/helpers.ts';
import { modelReleasePolicy, OLD_PATHS, sealOldRelease } from './releases.ts';

interface State {
  readonly deployment: Deployment;
  /** What the client got after the swap (filled by the attack, read by the check). */
  inference: InferenceOutcome | undefined;
}

/** RB-04: authentic but outdated weights, sealed under the same key, put back in place of the current ones. */
export default defineScenario<State>({
  id: 'RB-04',
  name: 'pa.storage.swap-older-model',
  title: 'The parent swaps the sealed weights for the older release sealed under the same key',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-FAIL-CLOSED'],
  tags: { attack: ['T1565.001'], atlas: ['AML.T0018'] },
  defence: 'policyRotation',
  expect: 'blocked',
  teaching:
    'Model 0.9 and 1.0 are both sealed under the owner’s key and both are perfectly authentic, so the enclave’s own AEAD checks cannot tell them apart. The parent starts the enclave on the 0.9 files instead of 1.0’s, and clients silently get the old model’s answers. ' +
    'Each release names its model in the encryption context, which KMS binds to the data key, and the owner’s policy lets the enclave open only the current model’s context, so the swapped-in data key is refused and the enclave does not start. ' +
    'Without that rotation of the policy (the control) the 0.9 key opens, the old weights load without error, and the client’s output no longer matches the current model.',
  async setup(ctx) {
    // The enclave has not booted on this instance yet: the parent chooses which files its first boot sees.
    const state = await deployUnderPolicy(ctx, modelReleasePolicy(ctx.world), { launch: false });
    if (state.deployment === undefined) throw new Error('model 1.0 was not deployed');
    await sealOldRelease(ctx.world, state.deployment.keyId);
    return { deployment: state.deployment, inference: undefined };
  },
  async attack(ctx, state) {
    const pa = parentAdmin(ctx);
    for (const [from, to] of [[OLD_PATHS.manifest, PATHS.manifest], [OLD_PATHS.dataKey, PATHS.dataKey], [OLD_PATHS.weights, PATHS.weights]] as const) {
      pa.writeDisk(to, pa.readDisk(from));
    }
    const launched = await pa.launchEnclave({});
    ctx.note(`enclave started on the 0.9 files: ${launched.ready ? 'serving' : `stopped (${launched.failure})`}`);
    if (!launched.ready) return;
    // The victim's next request; the parent only relays it.
    state.inference = await clientInference(ctx.world, launched.record, state.deployment);
    ctx.note(`client inference: ${state.inference.completed ? (state.inference.matches ? 'current model' : 'a different model answered') : state.inference.error}`);
  },
  check: (_ctx, { inference }) => {
    const wrong = inference !== undefined && inference.completed && !inference.matches;
    return [
      {
        invariant: 'INV-FAIL-CLOSED',
        held: !wrong,
        detail: wrong ? 'the client got an answer from the superseded model, with no error anywhere' : 'no answer from any model but the current one',
      },
    ];
  },
});
