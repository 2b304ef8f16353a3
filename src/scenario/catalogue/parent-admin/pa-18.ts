import { clientInference, generateModelFile, type Deployment } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { attackerRandom, clientAcceptedWrongOutput, parentAdmin } from './helpers.ts';

/** Where an app that does not authenticate its inputs would also look for a model (an unmeasured input). */
const PLAIN_WEIGHTS_PATH = 'model/weights.plain';

/** PA-18: the parent supplies a model of its own next to the sealed one and hopes the enclave loads it. */
export default defineScenario<{ deployment: Deployment }>({
  id: 'PA-18',
  name: 'pa.storage.unmeasured-model',
  title: 'Parent admin supplies an unauthenticated model file that the enclave loads',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-FAIL-CLOSED'],
  tags: { attack: [], atlas: ['AML.T0018', 'AML.T0010.003'] },
  defence: 'appAuthenticatesInputs',
  expect: 'blocked',
  teaching:
    'Files the enclave reads from the parent are not measured; the parent-admin plants a model of its own in plaintext next to the sealed one and restarts the enclave. ' +
    'The app loads only weights that open under the KMS-released data key (AES-GCM frames), so the planted file is never used and clients get the owner’s model. ' +
    'An app that takes whatever model file it finds (the control) serves the parent’s model, and the client accepts outputs the owner’s model never gives.',
  async setup(ctx) {
    const { deployment, enclave } = await ctx.deployAndLaunch();
    parentAdmin(ctx).terminateEnclave(enclave.enclaveId);
    return { deployment };
  },
  async attack(ctx, { deployment }) {
    const pa = parentAdmin(ctx);
    pa.writeDisk(PLAIN_WEIGHTS_PATH, generateModelFile(attackerRandom(ctx, 'poisoned-model'), 'parent-admin model'));
    const launched = await pa.launchEnclave({});
    ctx.note(`restarted the enclave with a planted model: ${launched.ready ? 'ready' : `stopped: ${launched.failure}`}`);
    if (!launched.ready) return;
    // The client keeps using the service; it attests the (genuine, approved) enclave and sends its prompt.
    const outcome = await clientInference(ctx.world, launched.record, deployment);
    ctx.note(`client inference: ${outcome.completed ? (outcome.matches ? 'the owner’s model answered' : 'another model answered') : outcome.error}`);
  },
  check: (ctx, { deployment }) => [clientAcceptedWrongOutput(ctx, deployment.reference)],
});
