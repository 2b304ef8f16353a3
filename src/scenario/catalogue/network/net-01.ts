import { isHandshakeFrame } from '../../../cluster/index.ts';
import { indexOfBytes } from '../../../crypto/index.ts';
import type { Packet } from '../../../efa/index.ts';
import { defineScenario } from '../../define.ts';
import { PACKETS_KEPT_MAX, SMALL_CLUSTER, allReduce, fileGenuine, formMesh, launchCluster, networkOf, resultVerdict, type NetState } from './helpers.ts';

/** Bytes of a tensor the capture is searched for: 16 B (four floats) from the start of each ring chunk. */
const PROBE_BYTES = 16;

interface CaptureState extends NetState {
  readonly captured: Packet[];
}

/** The 16-byte probes of every rank's tensor: the raw chunk a rank sends first starts with one of them. */
export function tensorProbes(inputs: readonly Float32Array[]): Uint8Array[] {
  const probes: Uint8Array[] = [];
  for (const input of inputs) {
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    for (let c = 0; c < inputs.length; c++) {
      const start = Math.floor((c * input.length) / inputs.length) * 4;
      if (start + PROBE_BYTES <= bytes.length) probes.push(bytes.slice(start, start + PROBE_BYTES));
    }
  }
  return probes;
}

/** NET-01: a tap on every host link records the collective's traffic. */
export default defineScenario<CaptureState>({
  id: 'NET-01',
  name: 'net.fabric.passive-capture',
  title: 'A tap on the fabric records the traffic of a multi-host all-reduce',
  attacker: 'network',
  promises: ['P3'],
  invariants: ['INV-NO-CANARY', 'INV-LINK'],
  tags: { attack: ['T1040'], atlas: ['AML.T0035'] },
  defence: 'linkEncryption',
  expect: 'blocked',
  cluster: SMALL_CLUSTER,
  teaching:
    'Whoever holds a switch, a cable or a mirror port sees every packet of the fabric. The attacker taps both directions of every host’s link while two enclaves all-reduce their tensors. ' +
    'Every packet is sealed with AES-256-GCM under keys from the enclaves’ attested handshake, so the capture holds only ciphertext: no tensor bytes, no canary, and every transmission under its own (key, nonce). ' +
    'With link encryption off (the null cipher) the same tap holds the tensors’ raw chunks in the clear: the scenario finds them in the capture, INV-LINK sees unprotected messages, and any canary in the data shows up in the network’s ledger.',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), captured: [] };
  },
  async attack(ctx, state) {
    // The mesh forms first: the attacker goes after the collective's traffic, not the handshake frames.
    formMesh(ctx, state);
    const network = networkOf(ctx);
    for (const member of state.cluster.members) {
      for (const direction of ['up', 'down'] as const) {
        const link = network.uplinkOf(member.rank, direction);
        network.tap(link, (packet) => {
          // The sender's uplink is where a transmission is first seen: file it there, once.
          if (direction === 'up') fileGenuine(ctx, `rank ${member.rank} uplink`, packet);
          if (state.captured.length < PACKETS_KEPT_MAX && packet.payload !== undefined && !isHandshakeFrame(packet)) state.captured.push({ ...packet, payload: packet.payload.slice() });
        });
      }
    }
    allReduce(ctx, state);
    ctx.note(`the taps kept ${state.captured.length} packets with a payload`);
  },
  check(_ctx, state) {
    const probes = tensorProbes(state.inputs);
    const found = state.captured.filter((p) => probes.some((probe) => indexOfBytes(p.payload!, probe) >= 0)).length;
    return [
      {
        invariant: 'SCENARIO-CAPTURE-OPAQUE',
        held: found === 0 && state.captured.length > 0,
        detail:
          state.captured.length === 0
            ? 'the taps saw no payload at all: nothing was tested'
            : found === 0
              ? `${state.captured.length} captured packets, none holds tensor bytes`
              : `${found} of ${state.captured.length} captured packets hold raw tensor bytes`,
      },
      resultVerdict(state),
    ];
  },
});
