import { fromHex, generateRsaKeyPair, openEnvelopedData, zeroPcr, type RsaKeyPair } from '../../../crypto/index.ts';
import { defineScenario } from '../../define.ts';
import { attestedRecipient, kmsOutcome } from '../common.ts';
import { attackerRandom, decryptDataKey, exploitKeyReply, parentAdmin } from '../parent-admin/helpers.ts';

interface State {
  /** Documents minted with the stolen key before the platform revoked it. */
  readonly documents: readonly Uint8Array[];
  /** The thief's own recipient key, whose public half is in those documents. */
  readonly recipientKey: RsaKeyPair;
}

const PCR_COUNT_MINTED = 5;

/** RB-05: a platform CA whose key leaked is revoked; documents it signed earlier must die with it. */
export default defineScenario<State>({
  id: 'RB-05',
  name: 'pa.attestation.revoked-platform-certificate',
  title: 'Documents signed under a revoked (compromised) platform CA are presented to KMS',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: ['T1553'], atlas: ['AML.T0025'] },
  defence: 'revocationChecked',
  expect: 'blocked',
  teaching:
    'The signing key of this host’s instance CA leaked (how is physical and out of scope); before anyone noticed, the thief minted attestation documents claiming the approved PCR0 with its own recipient key. The platform then revoked that CA and issued a new chain. ' +
    'KMS consults the platform’s revocation list while it validates a document’s chain, so every document that chains through the revoked CA is refused, however fresh and well signed. ' +
    'With revocation ignored (the control) the minted document passes, KMS encrypts the data key to the thief’s key and the parent decrypts the weights.',
  async setup(ctx) {
    const { world } = ctx;
    const { ready } = await ctx.deployAndLaunch();
    if (!ready) throw new Error('the approved enclave did not start');
    // HARNESS: the physical theft is not modelled; its result is handed to the attacker (see the PHY group).
    const stolen = world.host.nitro.extractSigningKeyForPhysicalAttack();
    const recipientKey = generateRsaKeyPair(attackerRandom(ctx, 'rb05-recipient'), 2048);
    const pcrs = new Map<number, Uint8Array>();
    for (let i = 0; i < PCR_COUNT_MINTED; i++) pcrs.set(i, zeroPcr());
    pcrs.set(0, fromHex(world.approvedPcr0));
    const documents = [stolen.forge(world.parent.instanceId, { pcrs, publicKey: recipientKey.spki, userData: null, nonce: null })];
    // The platform learns of the leak and revokes the CA; the host gets a fresh chain and keeps working.
    world.host.nitro.revokeCertificate(world.host.nitro.instanceCaFor(world.parent.instanceId), 'keyCompromise');
    ctx.note('the instance CA was revoked for key compromise after the documents were minted');
    return { documents, recipientKey };
  },
  async attack(ctx, { documents, recipientKey }) {
    const pa = parentAdmin(ctx);
    for (const document of documents) {
      const reply = await decryptDataKey(pa, attestedRecipient(document));
      ctx.note(`Decrypt with a document under the revoked CA: ${kmsOutcome(reply)}`);
      if (exploitKeyReply(ctx, pa, reply.body, (cms) => openEnvelopedData(cms, recipientKey)) !== undefined) return;
    }
  },
});
