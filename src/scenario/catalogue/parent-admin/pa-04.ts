import { generateRsaKeyPair, openEnvelopedData } from '../../../crypto/index.ts';
import { defineScenario } from '../../define.ts';
import { attestedRecipient, kmsOutcome } from '../common.ts';
import { forgeDocument } from './forge.ts';
import { attackerRandom, decryptDataKey, exploitKeyReply, parentAdmin } from './helpers.ts';

/** PA-04: the parent writes its own attestation document: right PCR0, its own key, its own CA. */
export default defineScenario({
  id: 'PA-04',
  name: 'pa.kms.forged-attestation',
  title: 'Parent admin forges an attestation document under its own root and presents it to KMS',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'kmsPinnedRoot',
  expect: 'blocked',
  teaching:
    'PCR0 of the approved image is public (anyone with the EIF can compute it), so the parent-admin signs a document claiming it, with its own RSA key, under a root CA it created and put in cabundle. ' +
    'KMS checks the chain against the Nitro root it pins, not the one the document brings, and refuses the document. ' +
    'A verifier that trusts cabundle[0] (the control) accepts the forgery, encrypts the data key to the attacker’s key, and the parent decrypts the weights.',
  setup: async (ctx) => ctx.deployAndLaunch(),
  async attack(ctx, { enclave }) {
    const pa = parentAdmin(ctx);
    const random = attackerRandom(ctx, 'forgery');
    const mine = generateRsaKeyPair(random, 2048);
    const document = forgeDocument({
      random,
      nowMs: ctx.world.sim.nowMs,
      region: ctx.world.host.region,
      // The parent saw its enclave's measurements when it launched it (nitro-cli prints them too).
      pcr0Hex: enclave.pcrs[0] ?? '',
      publicKey: mine.spki,
    });
    const reply = await decryptDataKey(pa, attestedRecipient(document));
    ctx.note(`Decrypt with the forged document: ${kmsOutcome(reply)}`);
    exploitKeyReply(ctx, pa, reply.body, (cms) => openEnvelopedData(cms, mine));
  },
});
