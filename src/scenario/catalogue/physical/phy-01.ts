import { aes256GcmSeal, fromBase64, fromUtf8, p384KeyPair, toBase64, utf8 } from '../../../crypto/index.ts';
import type { DocumentForger } from '../../../hypervisor/index.ts';
import { FramedConnection, createPipe } from '../../../ports/index.ts';
import { DOCUMENT_MAX_AGE_MS, InferenceClient } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { clientSessionIv, openClientPrompt } from '../common.ts';
import { approvedPcrs, enclaveHosts, operator, stealKeyFromEnclaveHosts } from '../operator/helpers.ts';

/** What physical possession of the host gives the attacker in this teaching scenario (handed over in setup). */
interface PhysicalAccess {
  /** The card's attestation signing key, extracted by a physical attack the emulator does not model. */
  readonly stolenKey: DocumentForger;
  /** The card implements vsock: with the card in hand, the attacker speaks on an instance's vsock. */
  connectVsock(instanceId: string, port: number): Promise<FramedConnection>;
  /** With the host's network in hand, the next client that connects for inference reaches the attacker. */
  interceptClient(): { connection: FramedConnection; outcome: Promise<string> };
  readonly approvedPcr0: string;
}

const LATENCY_NS = 250_000;

export default defineScenario<PhysicalAccess>({
  id: 'PHY-01',
  name: 'op.physical.stolen-attestation-key',
  title: 'The platform’s attestation key is stolen: forged documents pass every check',
  attacker: 'operator',
  promises: ['P1', 'P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0048.004'] },
  defence: null,
  expect: 'succeeds',
  teaching:
    'Physical attacks (bus interposers, fault injection, cold boot) are out of scope for a software emulator, so this scenario only simulates their consequence: ' +
    'an operator with the card in hand has extracted the platform’s attestation signing key, as TEE.fail and WireTap did on other TEEs. ' +
    'It forges a document with the approved PCR0 over its own keys: KMS releases the data key and a client sends its prompt, because every check chains to the genuine root. ' +
    'The attestation root is a single point of trust; see docs/physical-attacks.md.',
  async setup(ctx) {
    const { deployment } = await ctx.deployAndLaunch();
    const { world } = ctx;
    return {
      // Harness only: the stand-in for the physical extraction, given to this scenario's attacker alone.
      stolenKey: world.host.nitro.extractSigningKeyForPhysicalAttack(),
      connectVsock: async (instanceId, port) => new FramedConnection(await world.host.cardVsockConnect(instanceId, port, 'operator')),
      interceptClient: () => {
        const [clientEnd, attackerEnd] = createPipe({
          sim: world.sim,
          channel: 'internet client<->host (intercepted)',
          latencyNs: LATENCY_NS,
          owners: ['client', 'operator'],
          observe: (owner, channel, bytes) => world.observe(owner, channel, bytes),
        });
        const client = new InferenceClient({
          verifier: world.verifier,
          random: world.sim.prng('client.intercepted'),
          nowMs: () => world.sim.nowMs,
          expectedPcr0: world.approvedPcr0,
          maxDocumentAgeMs: DOCUMENT_MAX_AGE_MS,
        });
        // The client's own prompt, with its canary: the client sends it once it believes the attestation.
        const outcome = client.infer(new FramedConnection(clientEnd), deployment.prompt).then(
          () => 'the client accepted the forged attestation and got an answer',
          (error: unknown) => `the client refused: ${error instanceof Error ? error.message : String(error)}`,
        );
        return { connection: new FramedConnection(attackerEnd), outcome };
      },
      // Published by the owner so clients can check it: public knowledge.
      approvedPcr0: world.approvedPcr0,
    };
  },
  async attack(ctx, access) {
    const op = operator(ctx);
    // 1. The key: a forged enclave identity asks KMS through the parent's own proxy.
    await stealKeyFromEnclaveHosts(
      ctx,
      op,
      { sign: (id, fields) => access.stolenKey.forge(id, fields), connectVsock: (id, port) => access.connectVsock(id, port) },
      access.approvedPcr0,
    );
    // 2. The prompt: the attacker answers a client as if it were the enclave.
    const instanceId = enclaveHosts(op)[0]?.instanceId ?? op.listInstances()[0]!.instanceId;
    const { connection, outcome } = access.interceptClient();
    const hello = JSON.parse(fromUtf8((await connection.receive()) ?? utf8('{}'))) as Record<string, unknown>;
    const nonce = fromBase64(String(hello['nonce']));
    const session = p384KeyPair(ctx.world.sim.prng('attacker.operator.session'));
    const document = access.stolenKey.forge(instanceId, { pcrs: approvedPcrs(access.approvedPcr0), publicKey: session.publicKey, userData: null, nonce });
    connection.send(utf8(JSON.stringify({ type: 'attestation', document: toBase64(document) })));
    const message = JSON.parse(fromUtf8((await connection.receive()) ?? utf8('{}'))) as Record<string, unknown>;
    const { key, prompt } = openClientPrompt(session, nonce, message);
    ctx.loot('prompt', prompt);
    connection.send(utf8(JSON.stringify({ type: 'output', ciphertext: toBase64(aes256GcmSeal(key, clientSessionIv(2), new Uint8Array(16), utf8('output'))) })));
    ctx.note(await outcome);
  },
});
