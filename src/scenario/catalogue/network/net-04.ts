import { PS_PER_US, type Packet, isSealedHeader } from '../../../efa/index.ts';
import { defineScenario } from '../../define.ts';
import { ANTI_REPLAY_ROW, SMALL_CLUSTER, allReduceRounds, fileForged, fileGenuine, formMesh, isLinkData, launchCluster, networkOf, resultVerdict, stat, type NetState } from './helpers.ts';

/** Half the packets on rank 0's uplink held back by up to 20 µs: many packets overtake each other. */
const REORDER = { kind: 'reorder', probability: 0.5, extraPs: 20 * PS_PER_US } as const;
const ROUNDS = 4;
/** The reorderer lets every third data packet out a second time, one packet later (what a holding attacker can do). */
const RELEASE_AGAIN_EVERY = 3;

interface ReorderState extends NetState {
  /** Arrivals at rank 1 behind a newer counter of the same direction: what a strict "counter > last" check refuses. */
  behindNewest: number;
  arrivals: number;
  copies: number;
}

/** NET-04: aggressive reordering of the collective's packets (legal for SRD), with a few late copies. */
export default defineScenario<ReorderState>({
  id: 'NET-04',
  name: 'net.fabric.reorder',
  title: 'The fabric reorders the all-reduce’s packets aggressively; the reorderer lets a few out twice',
  ...ANTI_REPLAY_ROW,
  cluster: SMALL_CLUSTER,
  teaching:
    'SRD sprays packets over many paths, so they arrive out of order by design; here the attacker makes it worse, holding half of rank 0’s packets back by up to 20 µs over four all-reduces, and letting some of them out a second time, late. ' +
    'The defended link keeps a sliding anti-replay window, not a strict “next counter” rule: every genuine packet that arrives behind a newer one is still accepted (the scenario counts the arrivals a strict rule would have refused, and requires that the receivers refused no more packets than the attacker copied), the late copies are refused as replays, and every result is the single-host reference bit for bit. ' +
    'The control turns the window off. Reordering alone still works then, but the reorderer’s late copies pass the NIC as genuine packets (INV-LINK). A strict in-order check is not a setting of the platform (it would break SRD, which is the row’s point), so the scenario measures what it would refuse instead of running it.',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), behindNewest: 0, arrivals: 0, copies: 0 };
  },
  async attack(ctx, state) {
    formMesh(ctx, state);
    const network = networkOf(ctx);
    const uplink = network.uplinkOf(0, 'up');
    let data = 0;
    let held: Packet | undefined;
    let reordering = false;
    network.interpose(uplink, (packet, atPs) => {
      // The fault starts with the collective's first packet (a fault is scheduled at a time, and this is now).
      if (!reordering) network.fault(uplink, atPs, REORDER);
      reordering = true;
      fileGenuine(ctx, 'rank 0 uplink', packet);
      if (!isLinkData(packet)) return [packet];
      data += 1;
      const out: Packet[] = [packet];
      if (held !== undefined) {
        out.push(held);
        held = undefined;
        state.copies += 1;
      }
      if (data % RELEASE_AGAIN_EVERY === 0) held = { ...packet };
      return out;
    });
    const newest = new Map<number, number>();
    network.tap(network.uplinkOf(1, 'down'), (packet) => {
      if (!isSealedHeader(packet.header) || packet.src !== 0) return;
      state.arrivals += 1;
      const last = newest.get(packet.header.context) ?? -1;
      if (packet.header.counter < last) state.behindNewest += 1;
      else newest.set(packet.header.context, packet.header.counter);
    });
    allReduceRounds(ctx, state, ROUNDS);
    const refused = stat(state, 'rejected.replayed') + stat(state, 'rejected.tooOld');
    ctx.note(`${state.arrivals} sealed arrivals at rank 1, ${state.behindNewest} behind a newer counter; ${state.copies} late copies; ${refused} refused as replays`);
    fileForged(ctx, 'rank 0 uplink', 'replayed', state.copies, Math.max(0, state.copies - refused), 'held packet released a second time');
  },
  check(_ctx, state) {
    const refused = stat(state, 'rejected.replayed') + stat(state, 'rejected.tooOld');
    return [
      {
        invariant: 'SCENARIO-NO-FALSE-REJECTION',
        held: state.behindNewest > 0 && refused <= state.copies,
        detail:
          state.behindNewest === 0
            ? 'no packet arrived out of order: the reordering was not tested'
            : `${state.behindNewest} genuine packets arrived behind a newer one (a strict check refuses them all); the receivers refused ${refused} packets as replays, for ${state.copies} real copies`,
      },
      resultVerdict(state),
    ];
  },
});
