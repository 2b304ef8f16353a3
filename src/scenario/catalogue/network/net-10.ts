import { isSealedHeader } from '../../../efa/index.ts';
import { defineScenario } from '../../define.ts';
import { SMALL_CLUSTER, allReduce, isLinkData, formMesh, launchCluster, resultVerdict, tapEveryUplink, type NetState } from './helpers.ts';

/** Bound on distinct sizes the analysis keeps. */
const SIZES_KEPT_MAX = 1024;

interface SizeState extends NetState {
  /** Ciphertext bytes of each sealed data packet seen → how many. */
  readonly sizes: Map<number, number>;
  packets: number;
  /** Message lengths the readable transport header gives away (SRD's `msgBytes`, outside the padding's reach). */
  readonly headerLengths: Set<number>;
}

/** NET-10: traffic analysis of packet sizes against the claimed padding policy. */
export default defineScenario<SizeState>({
  id: 'NET-10',
  name: 'net.fabric.traffic-analysis-sizes',
  title: 'A tap measures the sizes of the all-reduce’s packets to learn the messages’ lengths',
  attacker: 'network',
  promises: ['P3'],
  invariants: ['INV-LINK'],
  tags: { attack: ['T1040'], atlas: [] },
  defence: 'linkPadding',
  expect: 'blocked',
  cluster: SMALL_CLUSTER,
  teaching:
    'Encryption hides bytes, not lengths: a tap that records each packet’s size learns where messages end (the short last segment), how big the shards are and which packets are control messages. Timing is an accepted residual risk; sizes are tested because the platform claims padding. ' +
    'The claim: every sealed data packet carries one size class, the MTU (the real length travels inside the ciphertext and is stripped after the tag check). The scenario measures every data packet on both uplinks and holds the platform to that claim. ' +
    'With padding off the same tap sees several sizes, the shards’ tails and the 64-byte control messages among them: the sizes differ from the claimed policy, and the attacker’s size histogram (in its ledger) maps the messages. ' +
    'What padding does not hide: SRD’s header is authenticated but readable (it sits before the crypt offset), and it carries each message’s length; the scenario notes what the attacker reads there. Hiding that too means sealing the transport header (crypt offset 0), a change of wire format this emulator has not made.',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), sizes: new Map(), packets: 0, headerLengths: new Set() };
  },
  async attack(ctx, state) {
    // The mesh forms first: the attacker goes after the collective's traffic, not the handshake frames.
    formMesh(ctx, state);
    tapEveryUplink(ctx, state, (packet) => {
      if (!isLinkData(packet) || !isSealedHeader(packet.header)) return;
      state.packets += 1;
      const size = packet.payload!.length;
      if (state.sizes.has(size) || state.sizes.size < SIZES_KEPT_MAX) state.sizes.set(size, (state.sizes.get(size) ?? 0) + 1);
      const msgBytes = (packet.header.inner as { readonly msgBytes?: unknown } | null)?.msgBytes;
      if (typeof msgBytes === 'number' && state.headerLengths.size < SIZES_KEPT_MAX) state.headerLengths.add(msgBytes);
    });
    allReduce(ctx, state);
    const histogram = [...state.sizes.entries()].sort(([a], [b]) => a - b);
    ctx.loot('traffic-analysis sizes', JSON.stringify({ histogram, headerLengths: [...state.headerLengths].sort((a, b) => a - b) }));
    ctx.note(`${state.packets} sealed data packets in ${state.sizes.size} size classes: ${histogram.map(([s, n]) => `${s} B ×${n}`).join(', ')}`);
    ctx.note(`residual: the readable SRD header still names ${state.headerLengths.size} message lengths (${[...state.headerLengths].sort((a, b) => a - b).join(', ')} B)`);
  },
  check(_ctx, state) {
    return [
      {
        invariant: 'SCENARIO-PADDING-AS-CLAIMED',
        held: state.packets > 0 && state.sizes.size === 1,
        detail:
          state.packets === 0
            ? 'no sealed data packet was seen: nothing was measured'
            : state.sizes.size === 1
              ? `all ${state.packets} sealed data packets are ${[...state.sizes.keys()][0]} B, as the policy claims`
              : `${state.sizes.size} distinct sizes on the wire where the policy claims one: the sizes give the messages’ lengths away`,
      },
      resultVerdict(state),
    ];
  },
});
