import { clientInference, deployModel, type Deployment } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { attackerRandom, clientAcceptedWrongOutput, parentAdmin, parseKmsReply, parseKmsRequest } from './helpers.ts';
import { forgedDecryptReply, plantSubstituteModel } from './substitute.ts';

/** PA-02: the parent's proxy stays in the path to the real KMS and rewrites what passes. */
export default defineScenario<{ deployment: Deployment }>({
  id: 'PA-02',
  name: 'pa.vsock.mitm-kms-reply',
  title: 'Parent admin rewrites the KMS reply in its vsock-proxy to hand the enclave its own key',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-FAIL-CLOSED', 'INV-NO-CANARY'],
  tags: { attack: ['T1557'], atlas: ['AML.T0018'] },
  defence: 'kmsChannelPinned',
  expect: 'blocked',
  teaching:
    'The parent-admin seals a model of its own under a key it chose and, in the vsock-proxy, replaces KMS’s Decrypt reply with that key wrapped to the enclave’s public key, taken from the relayed request. ' +
    'Inside the pinned, authenticated KMS channel the proxy sees only records it can neither read nor rewrite, so the enclave gets KMS’s real key, which does not open the substituted weights, and it stops. ' +
    'Over plain frames (the control) the rewritten reply is accepted, the enclave serves the parent’s model, and clients get answers the owner’s model never gives.',
  // The owner deploys; the parent has not started the enclave yet (so no sealed state exists under the real key).
  setup: async (ctx) => ({ deployment: await deployModel(ctx.world) }),
  async attack(ctx, { deployment }) {
    const pa = parentAdmin(ctx);
    const random = attackerRandom(ctx, 'mitm');
    const key = plantSubstituteModel(pa, random);
    let request: Record<string, unknown> | undefined;
    let rewritten = 0;
    pa.relay.filter = (direction, message) => {
      if (direction === 'to-kms') request = parseKmsRequest(message)?.body ?? request;
      if (direction === 'to-enclave' && request !== undefined && parseKmsReply(message) !== undefined) {
        const forged = forgedDecryptReply(request, key, random);
        if (forged !== undefined) {
          rewritten++;
          return [forged];
        }
      }
      return [message];
    };
    const launched = await pa.launchEnclave({});
    ctx.note(`enclave restarted through the rewriting proxy (${rewritten} replies rewritten): ${launched.ready ? 'ready' : `stopped: ${launched.failure}`}`);
    if (!launched.ready) return;
    const outcome = await clientInference(ctx.world, launched.record, deployment);
    ctx.note(`client inference: ${outcome.completed ? (outcome.matches ? 'the owner’s model answered' : 'another model answered') : outcome.error}`);
  },
  check: (ctx, { deployment }) => [clientAcceptedWrongOutput(ctx, deployment.reference)],
});
