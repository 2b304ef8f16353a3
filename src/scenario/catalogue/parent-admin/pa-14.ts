import type { FramedConnection } from '../../../ports/index.ts';
import { DOCUMENT_MAX_AGE_MS, deployModel, type Deployment } from '../../../world/index.ts';
import { defineScenario, type ScenarioContext } from '../../define.ts';
import { parentAdmin } from './helpers.ts';

/** Messages the enclave sends before its request: the channel's ClientHello and Finished (or none, in plain frames). */
const HANDSHAKE_MESSAGES_TO_KMS = 2;
const HOLD_MS = DOCUMENT_MAX_AGE_MS + 60_000;
const MESSAGES_MAX = 64;

/**
 * The parent's own vsock-proxy, a slow one: it opens KMS connections with its role like the real proxy, lets the
 * handshake through, holds the enclave's request past the document's maximum age, then delivers it. It never
 * hangs up on KMS when the enclave gives up waiting.
 */
function slowProxy(ctx: ScenarioContext): (enclaveSide: FramedConnection) => void {
  const { world } = ctx;
  return (enclaveSide) => {
    const kmsSide = world.kmsEndpoint.connect('parent-admin', { arn: world.arns.parentRole });
    void (async () => {
      for (let i = 0; i < MESSAGES_MAX; i++) {
        const message = await kmsSide.receive().catch(() => null);
        if (message === null) return;
        if (!enclaveSide.end.closed) enclaveSide.send(message);
      }
    })();
    void (async () => {
      for (let i = 0; i < MESSAGES_MAX; i++) {
        const message = await enclaveSide.receive().catch(() => null);
        if (message === null) return;
        if (i >= HANDSHAKE_MESSAGES_TO_KMS || message[0] === 0x7b /* '{': a plain request */) await world.sim.sleep(HOLD_MS * 1_000_000, 'parent holds the request');
        if (!kmsSide.end.closed) kmsSide.send(message);
      }
    })();
  };
}

/** PA-14: freshness is KMS's to judge; the parent can only make a document old by holding it. */
export default defineScenario<{ deployment: Deployment }>({
  id: 'PA-14',
  name: 'pa.kms.stale-attestation',
  title: 'Parent admin holds the enclave’s attested request until its document has expired, then delivers it',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-FRESH'],
  tags: { attack: [], atlas: [] },
  defence: 'kmsDocumentFreshness',
  expect: 'blocked',
  teaching:
    'The parent-admin cannot set the enclave’s clock (its documents are timestamped by the platform), but it can hold the enclave’s attested Decrypt request in its proxy until the document is older than KMS allows, then deliver it. ' +
    'KMS compares the document’s timestamp with its own clock and refuses documents older than five minutes. ' +
    'A KMS that ignores the document’s age (the control) releases the key on a stale document, which the freshness checker reports.',
  setup: async (ctx) => ({ deployment: await deployModel(ctx.world) }),
  async attack(ctx) {
    const pa = parentAdmin(ctx);
    pa.relay.kmsRoute = slowProxy(ctx);
    const launched = await pa.launchEnclave({});
    ctx.note(`enclave behind the slow proxy: ${launched.ready ? 'ready' : `stopped: ${launched.failure}`}`);
    // The held requests reach KMS after the hold; wait for them.
    await ctx.world.sim.sleep((HOLD_MS + 60_000) * 1_000_000, 'parent waits for its held requests');
  },
});
