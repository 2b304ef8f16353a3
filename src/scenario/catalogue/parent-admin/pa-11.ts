import { deployModel } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { parentAdmin } from './helpers.ts';

/** A plain-frame KMS request starts with the JSON object's brace; channel records never reach this path. */
const isPlainDecrypt = (message: Uint8Array) => message[0] === 0x7b && new TextDecoder().decode(message).includes('TrentService.Decrypt');

/**
 * PA-11: the enclave's KMS document carries a fresh NSM nonce; KMS remembers nonces and refuses a second use.
 * The parent's proxy sends the enclave's attested request twice.
 */
export default defineScenario({
  id: 'PA-11',
  name: 'pa.kms.reuse-attestation-nonce',
  title: 'Parent admin presents the enclave’s attested request to KMS a second time, nonce and all',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-FRESH'],
  tags: { attack: [], atlas: [] },
  defence: 'kmsNonceSingleUse',
  // The authenticated channel would hide the request (and refuse a replayed record) before KMS's nonce check is
  // reached; this scenario studies that check as its own layer, so both runs use plain frames.
  baselineDefencesOff: ['kmsChannelPinned'],
  expect: 'blocked',
  teaching:
    'Each attested Decrypt request of the enclave carries a document with a fresh nonce from its NSM. ' +
    'The parent-admin’s proxy forwards the request and then sends the very same bytes again. ' +
    'KMS remembers every nonce for the document’s lifetime and refuses the second use; a KMS that does not (the control) releases the key twice on one nonce, which the freshness checker reports. ' +
    'The authenticated channel is off in both runs here, so that the nonce check is what is tested.',
  setup: async (ctx) => {
    await deployModel(ctx.world);
  },
  async attack(ctx) {
    const pa = parentAdmin(ctx);
    let replayed = 0;
    pa.relay.filter = (direction, message) => {
      if (direction !== 'to-kms' || !isPlainDecrypt(message) || replayed > 0) return [message];
      replayed++;
      return [message, message];
    };
    const launched = await pa.launchEnclave({});
    ctx.note(`enclave ${launched.ready ? 'ready' : `stopped: ${launched.failure}`}; requests replayed: ${replayed}`);
    await ctx.world.sim.sleep(50_000_000, 'parent waits for KMS to answer the replay');
  },
});
