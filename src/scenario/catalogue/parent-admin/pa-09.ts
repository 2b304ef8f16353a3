import { createEmulatedWebPkiRoot, issueServerLeaf, kmsServerName, secureChannelAccept } from '../../../crypto/index.ts';
import { isEmuError } from '../../../errors.ts';
import type { FramedConnection } from '../../../ports/index.ts';
import { clientInference, deployModel, type Deployment } from '../../../world/index.ts';
import { defineScenario, type ScenarioContext } from '../../define.ts';
import { attackerRandom, clientAcceptedWrongOutput, parentAdmin, parseKmsRequest } from './helpers.ts';
import { forgedDecryptReply, plantSubstituteModel } from './substitute.ts';

/** The fake KMS the parent runs behind its proxy: plain frames it answers; a secure hello it answers with its own certificate. */
function fakeKms(ctx: ScenarioContext, key: Uint8Array): (enclaveSide: FramedConnection) => void {
  const random = attackerRandom(ctx, 'fake-kms');
  const root = createEmulatedWebPkiRoot(random);
  const leaf = issueServerLeaf(random, root, kmsServerName(ctx.world.host.region));
  return (enclaveSide) =>
    void (async () => {
      try {
        const first = await enclaveSide.receive();
        if (first === null) return;
        const plain = parseKmsRequest(first);
        if (plain !== undefined) {
          const reply = forgedDecryptReply(plain.body, key, random);
          if (reply !== undefined) enclaveSide.send(reply);
          return;
        }
        const channel = await secureChannelAccept(enclaveSide, { random, chainDer: [leaf.der], privateKey: leaf.keyPair.privateKey, clientHello: first });
        const inner = await channel.receive();
        const request = inner === null ? undefined : parseKmsRequest(inner);
        const reply = request === undefined ? undefined : forgedDecryptReply(request.body, key, random);
        if (reply !== undefined) channel.send(reply);
      } catch (error) {
        if (!isEmuError(error)) throw error;
        ctx.note(`fake KMS: ${error.code}`);
      } finally {
        enclaveSide.close();
      }
    })();
}

/** PA-09: the parent points the enclave's KMS route at a KMS of its own and hands the enclave a key it chose. */
export default defineScenario<{ deployment: Deployment }>({
  id: 'PA-09',
  name: 'pa.kms.fake-kms',
  title: 'Parent admin reroutes the enclave’s KMS traffic to a fake KMS that supplies its own data key',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-FAIL-CLOSED', 'INV-NO-CANARY'],
  tags: { attack: ['T1557'], atlas: ['AML.T0018', 'AML.T0010.003'] },
  defence: 'kmsChannelPinned',
  expect: 'blocked',
  teaching:
    'The parent-admin runs the vsock-proxy, so it sends the enclave’s KMS connection to a KMS of its own, which answers Decrypt with a key it chose (wrapped to the enclave’s public key from the request) after sealing a model of its own under that key. ' +
    'The enclave talks to KMS through a channel pinned to KMS’s certificate chain, so the fake’s self-made certificate is refused and the enclave never takes its key. ' +
    'An enclave that speaks plain frames (the control) accepts the fake reply, loads the substituted model, and clients receive answers the owner’s model never gives.',
  // The owner deploys; the parent has not started the enclave yet (so no sealed state exists under the real key).
  setup: async (ctx) => ({ deployment: await deployModel(ctx.world) }),
  async attack(ctx, { deployment }) {
    const pa = parentAdmin(ctx);
    const key = plantSubstituteModel(pa, attackerRandom(ctx, 'substitute'));
    pa.relay.kmsRoute = fakeKms(ctx, key);
    const launched = await pa.launchEnclave({});
    ctx.note(`enclave restarted behind the fake KMS: ${launched.ready ? 'ready' : `stopped: ${launched.failure}`}`);
    if (!launched.ready) return;
    const outcome = await clientInference(ctx.world, launched.record, deployment);
    ctx.note(`client inference: ${outcome.completed ? (outcome.matches ? 'the owner’s model answered' : 'another model answered') : outcome.error}`);
  },
  check: (ctx, { deployment }) => [clientAcceptedWrongOutput(ctx, deployment.reference)],
});
