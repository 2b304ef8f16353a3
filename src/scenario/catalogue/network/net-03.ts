import type { ClusterOptionsExtra } from '../../../cluster/index.ts';
import { type Packet, isSealedHeader } from '../../../efa/index.ts';
import { defineScenario } from '../../define.ts';
import { ANTI_REPLAY_ROW, PACKETS_KEPT_MAX, SMALL_CLUSTER, allReduceRounds, fileForged, fileGenuine, formMesh, isLinkData, launchCluster, networkOf, resultVerdict, stat, type NetState } from './helpers.ts';

/** The receivers' anti-replay window, in counters: the smallest the protector takes, so a few rounds outrun it. */
const REPLAY_WINDOW = 32;
/** All-reduce rounds (training steps) on the same keys: enough traffic for the first packets to fall a window behind. */
const ROUNDS = 8;
/** Every Nth data packet on rank 0's uplink is sent twice at once (a duplicate inside the window). */
const DUPLICATE_EVERY = 3;
/** In the last round the attacker replays the first packets it captured (by then far behind the window). */
const STALE_REPLAYS = 4;

interface ReplayState extends NetState {
  readonly kept: Packet[];
  duplicates: number;
  stale: number;
  /** Stale replays whose counter was a window behind the newest one the attacker saw: refused as too old. */
  outsideWindow: number;
  newestCounter: number;
}

const cluster: Omit<ClusterOptionsExtra, 'seed' | 'defences'> = { ...SMALL_CLUSTER, link: { replayWindow: REPLAY_WINDOW } };

/** NET-03: replay of captured packets, at once (inside the window) and rounds later (outside it). */
export default defineScenario<ReplayState>({
  id: 'NET-03',
  name: 'net.fabric.replay',
  title: 'The attacker replays captured packets, at once and several all-reduces later',
  ...ANTI_REPLAY_ROW,
  cluster,
  teaching:
    'An interposer on rank 0’s uplink sends some packets twice as they pass (inside the receiver’s anti-replay window), and in the last of eight all-reduces replays the first packets it captured, which by then are far behind the window. A replayed packet is a perfect copy: its tag verifies. ' +
    'Every transmission carries its own counter (in the nonce and the AAD), and each receiver keeps a sliding window over the counters it accepted (32 here, so the rounds outrun it): a copy inside the window is refused as a replay, one behind it as too old, and only a packet whose tag verified moves the window. A window rather than a strict “next counter” rule is what lets SRD’s out-of-order delivery through (NET-04). ' +
    'With the anti-replay window off every copy is accepted by the NIC as a genuine packet (INV-LINK). SRD happens to drop duplicate PSNs above it, so the results stay right, but a link that delivers replays hands the transport whatever an attacker recorded.',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), kept: [], duplicates: 0, stale: 0, outsideWindow: 0, newestCounter: -1 };
  },
  async attack(ctx, state) {
    formMesh(ctx, state);
    const network = networkOf(ctx);
    let seen = 0;
    network.interpose(network.uplinkOf(0, 'up'), (packet) => {
      fileGenuine(ctx, 'rank 0 uplink', packet);
      if (isSealedHeader(packet.header)) state.newestCounter = Math.max(state.newestCounter, packet.header.counter);
      if (!isLinkData(packet)) return [packet];
      seen += 1;
      if (state.kept.length < PACKETS_KEPT_MAX) state.kept.push({ ...packet });
      const out: Packet[] = [packet];
      if (seen % DUPLICATE_EVERY === 0) {
        out.push({ ...packet });
        state.duplicates += 1;
      }
      if (state.stale === 0 && lastRound(state)) {
        for (const old of state.kept.slice(0, STALE_REPLAYS)) {
          if (isSealedHeader(old.header) && old.header.counter <= state.newestCounter - REPLAY_WINDOW) state.outsideWindow += 1;
          out.push({ ...old });
          state.stale += 1;
        }
      }
      return out;
    });
    allReduceRounds(ctx, state, ROUNDS);
    const refused = stat(state, 'rejected.replayed') + stat(state, 'rejected.tooOld');
    const replays = state.duplicates + state.stale;
    ctx.note(
      `replayed ${replays} packets: ${state.duplicates} at once, ${state.stale} from the first round (${state.outsideWindow} of them a window behind); ` +
        `the receivers refused ${stat(state, 'rejected.replayed')} as replays and ${stat(state, 'rejected.tooOld')} as too old`,
    );
    fileForged(ctx, 'rank 0 uplink', 'replayed', replays, Math.max(0, replays - refused), 'captured packet sent again');
  },
  check(_ctx, state) {
    return [
      {
        invariant: 'SCENARIO-REPLAYS-SENT',
        held: state.duplicates > 0 && state.outsideWindow > 0,
        detail: `${state.duplicates} replays inside the window, ${state.outsideWindow} outside it (both kinds must have been tried)`,
      },
      resultVerdict(state),
    ];
  },
});

/** The interposer acts in the last round: the rounds before it pushed the first packets out of the window. */
function lastRound(state: ReplayState): boolean {
  return state.outcomes.length === ROUNDS - 1;
}
