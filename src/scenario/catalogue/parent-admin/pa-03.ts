import { defineScenario } from '../../define.ts';
import { attestedRecipient } from '../common.ts';
import { attackerRandom, captureRelay, capturedDocuments, decryptDataKey, exploitKeyReply, helloDocument, parentAdmin } from './helpers.ts';

/** PA-03: a genuine document of the approved enclave, presented by the parent as if it were the enclave. */
export default defineScenario({
  id: 'PA-03',
  name: 'pa.kms.replay-attestation',
  title: 'Parent admin replays a genuine attestation document of the approved enclave to KMS',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0025'] },
  defence: 'kmsRecipientEncryption',
  expect: 'blocked',
  teaching:
    'The parent-admin collects genuine documents of the approved enclave: any it sees on its relays, and the one the enclave gives anyone who says hello on its client port. It presents them to KMS with its own role. ' +
    'Such a document satisfies the key policy, but KMS sends the key only encrypted to the public key inside the document, whose private half never leaves the enclave (and a key it cannot encrypt to is refused), so the parent gets nothing it can open. ' +
    'A KMS that answers a Recipient request in plaintext (the control) hands the parent the data key.',
  async setup(ctx) {
    const pa = parentAdmin(ctx);
    // Whatever the enclave's own KMS exchange shows the parent is kept; with the pinned channel that is nothing.
    const seen = captureRelay(pa);
    const launched = await ctx.deployAndLaunch();
    pa.relay.filter = undefined;
    return { ...launched, seen };
  },
  async attack(ctx, { enclave, seen }) {
    const pa = parentAdmin(ctx);
    const documents = capturedDocuments(seen);
    const hello = await helloDocument(pa, enclave.cid, attackerRandom(ctx, 'replay').bytes(32));
    if (hello !== undefined) documents.push(hello);
    ctx.note(`${documents.length} genuine documents collected (${documents.length - (hello ? 1 : 0)} from the relays)`);
    for (const document of documents) {
      const reply = await decryptDataKey(pa, attestedRecipient(document));
      ctx.note(`Decrypt with a replayed document: HTTP ${reply.status} ${String(reply.body['__type'] ?? (reply.body['Plaintext'] ? 'Plaintext' : 'CiphertextForRecipient'))}`);
      exploitKeyReply(ctx, pa, reply.body);
    }
  },
});
