import { clientInference, type Deployment } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { captureRelay, exploitKeyReply, parentAdmin, parseKmsReply, parseKmsRequest } from './helpers.ts';

interface State {
  readonly deployment: Deployment;
  captured?: ReadonlyArray<{ direction: string; message: Uint8Array }>;
}

/** PA-01: the parent runs the proxy; all it needs to do is keep a copy of what it relays. */
export default defineScenario<State>({
  id: 'PA-01',
  name: 'pa.vsock.sniff-proxy',
  title: 'Parent admin records everything its vsock-proxy and client relay carry',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-LINK', 'INV-NO-CANARY'],
  tags: { attack: ['T1040'], atlas: ['AML.T0025'] },
  defence: 'kmsChannelPinned',
  expect: 'blocked',
  teaching:
    'The parent-admin keeps a copy of every message its vsock-proxy and client relay carry while the enclave starts, fetches its key and serves a client. ' +
    'The KMS exchange runs inside a channel the enclave authenticated to KMS’s pinned certificate and the client session is end-to-end encrypted, so the copies are ciphertext. ' +
    'With plain frames (the control) the parent reads the enclave’s Decrypt request, its attestation document and KMS’s reply: the link check flags the unprotected enclave–KMS link.',
  async setup(ctx) {
    const { deployment, enclave } = await ctx.deployAndLaunch();
    parentAdmin(ctx).terminateEnclave(enclave.enclaveId);
    return { deployment };
  },
  async attack(ctx, state) {
    const pa = parentAdmin(ctx);
    const captured = captureRelay(pa);
    state.captured = captured;
    const launched = await pa.launchEnclave({});
    if (launched.ready) await clientInference(ctx.world, launched.record, state.deployment);
    for (const { direction, message } of captured) {
      ctx.loot(`relay capture ${direction}`, message);
      // A KMS reply that carried the key in the clear would be used at once.
      const reply = direction === 'to-enclave' ? parseKmsReply(message) : undefined;
      if (reply !== undefined) exploitKeyReply(ctx, pa, reply);
    }
    ctx.note(`captured ${captured.length} relayed messages`);
  },
  check(_ctx, state) {
    // Read-only, over the copies: a KMS request the parent could parse crossed the enclave–KMS link unprotected.
    const readable = (state.captured ?? []).filter((c) => c.direction === 'to-kms' && parseKmsRequest(c.message) !== undefined).length;
    return [
      {
        invariant: 'INV-LINK',
        held: readable === 0,
        detail:
          readable === 0
            ? `${state.captured?.length ?? 0} relayed messages, none readable as a KMS request`
            : `the parent read ${readable} enclave→KMS request(s) in the clear (attestation document and sealed data key included)`,
      },
    ];
  },
});
