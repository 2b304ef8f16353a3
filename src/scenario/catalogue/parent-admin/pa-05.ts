import { decodeCoseSign1, encodeCbor, generateRsaKeyPair, openEnvelopedData } from '../../../crypto/index.ts';
import { defineScenario } from '../../define.ts';
import { attestedRecipient, kmsOutcome } from '../common.ts';
import { attackerRandom, decryptDataKey, exploitKeyReply, helloDocument, parentAdmin } from './helpers.ts';

/**
 * The genuine document with the attacker's key spliced into the COSE unprotected header: the signature covers
 * only the protected header and the payload, so the document still verifies.
 */
function splice(document: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const cose = decodeCoseSign1(document);
  return encodeCbor([cose.protectedBytes, new Map<string, Uint8Array>([['public_key', publicKey]]), cose.payload, cose.signature]);
}

/** PA-05: a genuine document, but the key to encrypt to supplied outside what the enclave's NSM signed. */
export default defineScenario({
  id: 'PA-05',
  name: 'pa.kms.splice-recipient-key',
  title: 'Parent admin splices its own public key into a genuine document, outside the signed payload',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0025'] },
  defence: 'kmsRecipientEncryption',
  expect: 'blocked',
  teaching:
    'The parent-admin takes a genuine document of the approved enclave and adds its own RSA public key in the COSE unprotected header, which the signature does not cover, so the document still verifies. ' +
    'KMS uses only the public_key inside the signed payload: it encrypts to the enclave’s key (or refuses one it cannot encrypt to), never to the spliced one. ' +
    'A KMS that answers a Recipient request in plaintext (the control) makes the splice moot and hands the parent the data key.',
  setup: async (ctx) => ctx.deployAndLaunch(),
  async attack(ctx, { enclave }) {
    const pa = parentAdmin(ctx);
    const random = attackerRandom(ctx, 'splice');
    const mine = generateRsaKeyPair(random, 2048);
    const genuine = await helloDocument(pa, enclave.cid, random.bytes(32));
    if (genuine === undefined) {
      ctx.note('the enclave gave no document');
      return;
    }
    const reply = await decryptDataKey(pa, attestedRecipient(splice(genuine, mine.spki)));
    ctx.note(`Decrypt with the spliced document: ${kmsOutcome(reply)}`);
    exploitKeyReply(ctx, pa, reply.body, (cms) => openEnvelopedData(cms, mine));
  },
});
