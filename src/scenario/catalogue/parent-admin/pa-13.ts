import { fromBase64, fromUtf8, p384KeyPair, toBase64, utf8 } from '../../../crypto/index.ts';
import { clientInference } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { forgeDocument } from './forge.ts';
import { openClientPrompt, tryTyped } from '../common.ts';
import { attackerRandom, parentAdmin } from './helpers.ts';

function parseJson(message: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(fromUtf8(message)) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** PA-13: the parent runs the client's front door, so it can answer in the enclave's place. */
export default defineScenario({
  id: 'PA-13',
  name: 'pa.client.impersonate-enclave',
  title: 'Parent admin answers clients in the enclave’s place with a forged attestation document',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1557'], atlas: [] },
  defence: 'clientVerifiesAttestation',
  expect: 'blocked',
  teaching:
    'Clients reach the enclave through the parent’s relay; the parent-admin swaps the enclave’s attestation document for one it forged under its own root, carrying its own session key and the client’s nonce. ' +
    'A client that verifies the document (chain to the Nitro root, PCR0, nonce) refuses it and never sends its prompt. ' +
    'A client that trusts the relay (the control) encrypts its prompt to the parent’s key, and the parent reads it.',
  setup: async (ctx) => ctx.deployAndLaunch(),
  async attack(ctx, { deployment, enclave }) {
    const pa = parentAdmin(ctx);
    const random = attackerRandom(ctx, 'impersonation');
    const mine = p384KeyPair(random);
    let nonce: Uint8Array | undefined;
    pa.relay.filter = (direction, message) => {
      const parsed = parseJson(message);
      if (direction === 'to-enclave' && parsed?.['type'] === 'hello' && typeof parsed['nonce'] === 'string') nonce = fromBase64(parsed['nonce']);
      if (direction === 'to-client' && parsed?.['type'] === 'attestation' && nonce !== undefined) {
        const document = forgeDocument({ random, nowMs: ctx.world.sim.nowMs, region: ctx.world.host.region, pcr0Hex: ctx.world.approvedPcr0, publicKey: mine.publicKey, nonce });
        return [utf8(JSON.stringify({ type: 'attestation', document: toBase64(document) }))];
      }
      if (direction === 'to-enclave' && parsed?.['type'] === 'prompt' && nonce !== undefined) {
        const sealedNonce = nonce;
        const prompt = tryTyped(ctx, 'open the client prompt', () => openClientPrompt(mine, sealedNonce, parsed).prompt);
        if (prompt !== undefined) ctx.loot('client prompt via the impersonated enclave', prompt);
      }
      return [message];
    };
    // The client goes on using the service through the parent's front door.
    const outcome = await clientInference(ctx.world, enclave, deployment);
    ctx.note(`client: ${outcome.completed ? 'completed' : outcome.error}`);
  },
});
