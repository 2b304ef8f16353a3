import type { Packet } from '../../../efa/index.ts';
import { defineScenario } from '../../define.ts';
import { SMALL_CLUSTER, allReduceRounds, fileForged, isLinkData, fileGenuine, formMesh, launchCluster, networkOf, resultVerdict, stat, type NetState } from './helpers.ts';

/** Every data packet rank 0 sends is also sent straight back to it, as if rank 1 had sent it, over a few rounds. */
const REFLECT_EVERY = 1;
const ROUNDS = 3;
/**
 * First the attacker drops rank 0's first few data packets: their retransmissions put rank 0's transmission counter
 * ahead of rank 1's, so a reflected counter is one rank 0 has not yet received from rank 1 (a replay window alone
 * would otherwise refuse most reflections by luck: both directions count from zero in step).
 */
const DROPS_FIRST = 6;
const REFLECTIONS_MAX = 12;

interface SpliceState extends NetState {
  reflected: number;
  spliced: number;
}

const SPLICES_MAX = 6;

/** A sealed packet turned round: the same bytes, addressed from its receiver back to its sender. */
export function reflect(packet: Packet): Packet {
  return { ...packet, src: packet.dst, dst: packet.src };
}

/** NET-09: ciphertext spliced onto another link, and reflected to its sender. */
export default defineScenario<SpliceState>({
  id: 'NET-09',
  name: 'net.fabric.splice-reflect',
  title: 'The attacker splices rank 0’s sealed packets onto another link, and reflects them back to rank 0',
  attacker: 'network',
  promises: ['P3'],
  invariants: ['INV-LINK'],
  tags: { attack: ['T1557'], atlas: [] },
  defence: 'linkAadBinding',
  expect: 'blocked',
  // Three ranks: rank 0's packets for rank 1 can be moved onto the link 2 → 1.
  cluster: { ...SMALL_CLUSTER, hosts: 3 },
  teaching:
    'A sealed packet is valid ciphertext under some key; the attacker tries to make it valid somewhere else. It takes the packets rank 0 sends to rank 1 and (a) re-sends them from rank 2’s port as if rank 2 had sent them (another link), (b) sends them back into rank 0 from rank 1’s port (the same link, the other direction). To make the reflections land on counters rank 0 has not yet received, it first drops rank 0’s first packets, whose retransmissions push rank 0’s counter ahead. ' +
    'Each direction of each link has its own traffic key (derived with job, source, destination and direction) and the AAD binds the SPI, both hosts, the direction and the job: rank 1 refuses the moved packets as spliced and rank 0 refuses its own direction’s packets as reflected, before any decryption; the collective ends bit-exact. ' +
    'In the naive design (AAD binding off) one key per epoch serves both directions of a link and the AAD names neither: the reflected packets open as genuine traffic from rank 1 (INV-LINK) and the endpoints, handed their own packets back, fail the collective. Packets moved to another link still fail there, because each pair’s handshake gave it its own secret.',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), reflected: 0, spliced: 0 };
  },
  async attack(ctx, state) {
    // The mesh forms first: the attacker goes after the collective's traffic, not the handshake frames.
    formMesh(ctx, state);
    const network = networkOf(ctx);
    const hostOf = (rank: number) => state.cluster.members[rank]!.host;
    let data = 0;
    network.interpose(network.uplinkOf(0, 'up'), (packet, atPs) => {
      fileGenuine(ctx, 'rank 0 uplink', packet);
      if (!isLinkData(packet)) return [packet];
      data += 1;
      if (data <= DROPS_FIRST) return [];
      if (data % REFLECT_EVERY === 0 && state.reflected < REFLECTIONS_MAX) {
        state.reflected += 1;
        network.inject(reflect(packet), atPs);
      }
      if (packet.dst === hostOf(1) && state.spliced < SPLICES_MAX) {
        state.spliced += 1;
        network.inject({ ...packet, src: hostOf(2) }, atPs);
      }
      return [packet];
    });
    allReduceRounds(ctx, state, ROUNDS);
    const splicedRefused = stat(state, 'rejected.spliced') + stat(state, 'rejected.authFailed');
    const reflectedRefused = ['reflected', 'replayed', 'tooOld', 'badEpoch'].reduce((sum, r) => sum + stat(state, `rejected.${r}`), 0);
    ctx.note(
      `spliced ${state.spliced} packets onto the link 2 → 1 (refused: ${stat(state, 'rejected.spliced')} as spliced, ${stat(state, 'rejected.authFailed')} on their tag); ` +
        `reflected ${state.reflected} (refused: ${stat(state, 'rejected.reflected')} as reflected, ${reflectedRefused - stat(state, 'rejected.reflected')} otherwise)`,
    );
    fileForged(ctx, 'rank 2 → rank 1', 'spliced', state.spliced, Math.max(0, state.spliced - splicedRefused), 'rank 0’s packet for rank 1 re-sent from rank 2');
    // Rejections counted as replays may also be genuine packets whose counter a reflection took first: a lower bound.
    fileForged(ctx, 'rank 1 → rank 0', 'reflected', state.reflected, Math.max(0, state.reflected - reflectedRefused), 'rank 0’s own packet sent back to it');
  },
  check(_ctx, state) {
    return [
      { invariant: 'SCENARIO-FORGED-SENT', held: state.reflected > 0 && state.spliced > 0, detail: `${state.spliced} packets spliced, ${state.reflected} reflected` },
      resultVerdict(state),
    ];
  },
});
