import type { Packet } from '../../../efa/index.ts';
import { defineScenario } from '../../define.ts';
import { SMALL_CLUSTER, allReduce, carriesTensor, fileForged, fileGenuine, formMesh, isLinkData, launchCluster, networkOf, stat, type NetState } from './helpers.ts';

/** How many of rank 1's data transmissions (retransmissions included) the attacker takes out before it stops. */
const TAKEN_OUT = 4;
/** What the attacker writes where the last float of a taken-out packet was (a value of its choosing). */
const SUBSTITUTE_VALUE = 1.0e6;

interface DropState extends NetState {
  phase: 'selective' | 'cut';
  takenOut: number;
  /** Every data transmission rank 1 sent while its link was cut. */
  cutOff: number;
  /** How the second all-reduce ended: a result, or a typed error (never a hang: the call returns either way). */
  cutOutcome?: string;
}

/** The attacker's stand-in for a packet it dropped: the same headers, its own value in the last float. */
export function substitute(packet: Packet): Packet {
  const payload = packet.payload!.slice();
  if (payload.length >= 4) new DataView(payload.buffer).setFloat32(payload.length - 4, SUBSTITUTE_VALUE, true);
  return { ...packet, payload };
}

/** NET-05: selective dropping (one rank's shard packets), then a permanent cut. */
export default defineScenario<DropState>({
  id: 'NET-05',
  name: 'net.fabric.selective-drop',
  title: 'The attacker drops one rank’s shard packets (filling the gap with its own), then cuts the rank off',
  attacker: 'network',
  promises: ['P3'],
  invariants: ['INV-LINK', 'INV-DELIVERY'],
  tags: { attack: ['T1498', 'T1565.002'], atlas: [] },
  defence: 'linkEncryption',
  expect: 'blocked',
  cluster: SMALL_CLUSTER,
  teaching:
    'A dropper on rank 1’s uplink picks the collective’s shard packets (SRD’s header is readable), takes the first four transmissions out, and sends a packet of its own in each one’s place: same headers, its own value in the data. Then it stops, and in a second all-reduce cuts rank 1 off for good. ' +
    'With AEAD every stand-in fails its tag, so to the receiver a dropped packet is only a lost one: SRD retransmits under fresh nonces, and once the dropper stops the first all-reduce completes bit-exact (liveness after healing). While the cut lasts, SRD’s retries run out and the collective stops with a typed error in bounded time: no hang, no silent wrong result (INV-DELIVERY). ' +
    'With the null cipher (encryption off) nothing tells a stand-in from the packet it replaced: the dropper’s values are summed into the result and no rank reports anything, the silent wrong result INV-DELIVERY exists to catch. The cut still ends in a typed error there: availability is SRD’s, integrity the link’s.',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), phase: 'selective', takenOut: 0, cutOff: 0 };
  },
  async attack(ctx, state) {
    formMesh(ctx, state);
    const network = networkOf(ctx);
    network.interpose(network.uplinkOf(1, 'up'), (packet) => {
      fileGenuine(ctx, 'rank 1 uplink', packet);
      if (state.phase === 'cut') {
        state.cutOff += isLinkData(packet) ? 1 : 0;
        return [];
      }
      if (!carriesTensor(packet) || state.takenOut >= TAKEN_OUT) return [packet];
      state.takenOut += 1;
      return [substitute(packet)];
    });
    const healed = allReduce(ctx, state, 'all-reduce under selective drop');
    ctx.note(`took out ${state.takenOut} transmissions; receivers refused ${stat(state, 'rejected.authFailed')} stand-ins on their tag; ${healed?.bitExact ? 'the healed run is exact' : 'the healed run is not exact'}`);
    fileForged(ctx, 'rank 1 uplink', 'tampered', state.takenOut, Math.max(0, state.takenOut - stat(state, 'rejected.authFailed')), 'stand-in for a dropped packet');
    state.phase = 'cut';
    const cut = allReduce(ctx, state, 'all-reduce with rank 1 cut off');
    state.cutOutcome = cut === undefined ? state.refusal : cut.errors.length > 0 ? cut.errors.map((e) => e.code).join(', ') : cut.bitExact ? 'result' : 'wrong result';
    ctx.note(`cut off ${state.cutOff} of rank 1's transmissions; the collective ended: ${state.cutOutcome}`);
  },
  check(_ctx, state) {
    const first = state.outcomes[0];
    const cutTyped = state.outcomes[1] !== undefined && state.outcomes[1].errors.length > 0;
    return [
      {
        invariant: 'SCENARIO-LIVENESS-AFTER-HEALING',
        held: state.takenOut > 0 && first !== undefined && (first.bitExact || first.errors.length > 0),
        detail:
          first === undefined
            ? 'the first all-reduce never ran'
            : first.bitExact
              ? `after ${state.takenOut} packets taken out the all-reduce completed bit-exact`
              : first.errors.length > 0
                ? `the all-reduce stopped with ${first.errors.map((e) => e.code).join(', ')}`
                : 'the all-reduce completed with a result that differs from the reference, and no error said so',
      },
      {
        invariant: 'SCENARIO-CUT-TYPED',
        held: cutTyped,
        detail: cutTyped ? `cut off, the collective stopped with ${state.cutOutcome}` : `cut off, the collective ended with ${state.cutOutcome ?? 'nothing'}, not a typed error`,
      },
    ];
  },
});
