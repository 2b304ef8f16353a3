import type { Packet } from '../../../efa/index.ts';
import { defineScenario } from '../../define.ts';
import { SMALL_CLUSTER, allReduce, carriesTensor, fileForged, fileGenuine, formMesh, launchCluster, networkOf, resultVerdict, stat, type NetState } from './helpers.ts';

/** How many transmissions the attacker rewrites (the first data packets on rank 0's uplink). */
const FLIPS = 3;

interface FlipState extends NetState {
  flipped: number;
}

/** A copy with one bit of the payload's last byte flipped: the exponent of a float when the bytes are plaintext. */
export function flipLastByte(packet: Packet): Packet {
  const payload = packet.payload!.slice();
  payload[payload.length - 1] = payload[payload.length - 1]! ^ 0x40;
  return { ...packet, payload };
}

/** NET-02: a man in the middle flips bits of packets in flight. */
export default defineScenario<FlipState>({
  id: 'NET-02',
  name: 'net.fabric.bit-flip',
  title: 'A man in the middle flips bits in the all-reduce’s packets',
  attacker: 'network',
  promises: ['P3'],
  invariants: ['INV-LINK', 'INV-DELIVERY'],
  tags: { attack: ['T1557', 'T1565.002'], atlas: ['AML.T0018'] },
  defence: 'linkEncryption',
  expect: 'blocked',
  cluster: SMALL_CLUSTER,
  teaching:
    'An interposer on rank 0’s uplink rewrites the first few data packets: one bit of each payload flipped, the headers left alone. ' +
    'The AES-GCM tag covers the ciphertext and (as AAD) the transport header, so the receiving NIC drops every rewritten packet, counts it, and SRD retransmits it under a fresh nonce: the collective still ends bit for bit equal to the single-host reference. ' +
    'With the null cipher (link encryption off) nothing checks the bytes: the flipped floats are summed into the result, no rank reports an error, and the silent wrong result shows in INV-DELIVERY and in the reference comparison.',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), flipped: 0 };
  },
  async attack(ctx, state) {
    // The mesh forms first: the attacker goes after the collective's traffic, not the handshake frames.
    formMesh(ctx, state);
    const network = networkOf(ctx);
    network.interpose(network.uplinkOf(0, 'up'), (packet) => {
      fileGenuine(ctx, 'rank 0 uplink', packet);
      if (state.flipped >= FLIPS || !carriesTensor(packet)) return [packet];
      state.flipped += 1;
      return [flipLastByte(packet)];
    });
    allReduce(ctx, state);
    const rejected = stat(state, 'rejected.authFailed');
    ctx.note(`flipped ${state.flipped} packets; the receivers refused ${rejected} on their tag`);
    fileForged(ctx, 'rank 0 uplink', 'tampered', state.flipped, Math.max(0, state.flipped - rejected), 'payload bit flipped in flight');
  },
  check(_ctx, state) {
    return [
      {
        invariant: 'SCENARIO-FLIPS-SENT',
        held: state.flipped === FLIPS,
        detail: `${state.flipped} of ${FLIPS} packets rewritten (fewer means the attack never ran)`,
      },
      resultVerdict(state),
    ];
  },
});
