import { LINK_FLAG_ENCRYPT } from '../../../efa/index.ts';
import { defineScenario } from '../../define.ts';
import { SMALL_CLUSTER, allReduce, formMesh, launchCluster, networkOf, resultVerdict, tapEveryUplink, type NetState } from './helpers.ts';

/** ClientHello layout (src/efa/secure/messages.ts): "EFAL" ‖ type ‖ version u16 ‖ suite count u8 ‖ suites u16… ‖ flags u8. */
const SUITE_COUNT_AT = 7;

interface DowngradeState extends NetState {
  rewritten: number;
}

/** The ClientHello with the encryption flag cleared (what a man in the middle does to get a plaintext session). */
export function clearEncryptFlag(hello: Uint8Array): Uint8Array {
  const count = hello[SUITE_COUNT_AT] ?? 0;
  const flagsAt = SUITE_COUNT_AT + 1 + 2 * count;
  if (flagsAt >= hello.length) return hello;
  const out = hello.slice();
  out[flagsAt] = out[flagsAt]! & ~LINK_FLAG_ENCRYPT;
  return out;
}

/** NET-07: a man in the middle rewrites the handshake to drop encryption. */
export default defineScenario<DowngradeState>({
  id: 'NET-07',
  name: 'net.fabric.handshake-downgrade',
  title: 'A man in the middle clears the encryption flag in the link handshake',
  attacker: 'network',
  promises: ['P3'],
  invariants: ['INV-NO-CANARY', 'INV-LINK', 'INV-FAIL-CLOSED'],
  tags: { attack: ['T1557', 'T1562.010'], atlas: [] },
  defence: 'linkDowngradeProtection',
  expect: 'blocked',
  cluster: SMALL_CLUSTER,
  teaching:
    'The attacker sits between two enclaves while they handshake, and clears the “encrypt” flag in every ClientHello, hoping the responder agrees to a plaintext link that the initiator then accepts. ' +
    'The responder refuses a hello without encryption, an old version or no strong suite, and every hello field is hashed into the transcript that both Finished MACs cover: the pair is refused with a typed LINK_HANDSHAKE_DOWNGRADE, and no data moves over a link that was never keyed (the all-reduce stops with a typed error rather than fall back to plaintext). ' +
    'In the control the naive responder takes the offer as it comes and the transcript leaves the negotiated fields out: the session is established unencrypted, the scenario sees it, and the collective’s traffic crosses the fabric in the clear (INV-LINK).',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), rewritten: 0 };
  },
  async attack(ctx, state) {
    const network = networkOf(ctx);
    network.interposeHandshake((message, step) => {
      if (step !== 'clientHello') return message;
      state.rewritten += 1;
      return clearEncryptFlag(message);
    });
    tapEveryUplink(ctx, state);
    const mesh = formMesh(ctx, state);
    ctx.note(`rewrote ${state.rewritten} ClientHellos`);
    if (mesh !== undefined) allReduce(ctx, state);
  },
  check(_ctx, state) {
    const weak = (state.mesh?.links ?? []).filter((l) => l.ok && l.encrypted === false);
    return [
      {
        invariant: 'SCENARIO-NO-DOWNGRADE',
        held: state.rewritten > 0 && weak.length === 0,
        detail:
          state.rewritten === 0
            ? 'no handshake was rewritten: the attack never ran'
            : weak.length === 0
              ? `${state.rewritten} ClientHellos rewritten; no session was established without encryption`
              : `${weak.length} sessions established UNENCRYPTED after the rewrite (${weak.map((l) => `${l.a}↔${l.b}`).join(', ')})`,
      },
      resultVerdict(state),
    ];
  },
});
