import type { LinkInfo, Packet } from '../../../efa/index.ts';
import { SECURE_LINK_OVERHEAD_BYTES, isSealedHeader } from '../../../efa/index.ts';
import { utf8 } from '../../../crypto/index.ts';
import { defineScenario } from '../../define.ts';
import { SMALL_CLUSTER, allReduce, fileForged, isLinkData, formMesh, launchCluster, networkOf, resultVerdict, stat, type NetState } from './helpers.ts';

/** How many forged packets the attacker sends into rank 0's NIC. */
const INJECTIONS = 4;
/** What the forged packets carry (the attacker's own bytes). */
const FORGED_PAYLOAD = utf8('FORGED-BY-THE-NETWORK-ATTACKER-0001');

interface InjectState extends NetState {
  injected: number;
  template?: Packet;
}

/**
 * A forged packet in the shape of a genuine one (the transport header as the attacker read it on the wire), claiming
 * to come from `src` with the attacker's payload; no security header, since it holds no key.
 */
export function forgeFrom(template: Packet, src: number, sequence: number): Packet {
  const inner = isSealedHeader(template.header) ? template.header.inner : template.header;
  const header = typeof inner === 'object' && inner !== null ? { ...(inner as Record<string, unknown>), psn: 1_000_000 + sequence } : inner;
  const overhead = isSealedHeader(template.header) ? SECURE_LINK_OVERHEAD_BYTES : 0;
  return { src, dst: template.dst, entropy: template.entropy, kind: 'data', wireBytes: template.wireBytes - overhead, header, payload: FORGED_PAYLOAD.slice() };
}

/** NET-06: packets injected into the fabric, claiming to come from a host the job never authenticated. */
export default defineScenario<InjectState>({
  id: 'NET-06',
  name: 'net.fabric.inject-spoofed',
  title: 'The attacker injects packets into rank 0’s NIC that claim another host as their source',
  attacker: 'network',
  promises: ['P3'],
  invariants: ['INV-LINK'],
  tags: { attack: ['T1557'], atlas: ['AML.T0018'] },
  defence: 'linkPeerAttestation',
  expect: 'blocked',
  // Three ranks on two leaves of two host ports each: one port of the fabric is free for the attacker to speak from.
  cluster: { ...SMALL_CLUSTER, hosts: 3 },
  teaching:
    'The attacker owns a port on the fabric. It reads the shape of a genuine packet on the wire and injects its own, addressed to rank 0 and claiming to come from a host of the fabric that is not in the job. ' +
    'Rank 0’s NIC accepts packets only from peers it holds keys for, and it holds keys only from handshakes whose evidence proved an attested, allowlisted enclave: the forgeries are refused as from an unknown peer and counted, the all-reduce is untouched. ' +
    'With peer attestation off, the naive NIC passes traffic from hosts it never authenticated: the forged packets are accepted as genuine (INV-LINK), free to feed the transport whatever the attacker wrote.',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), injected: 0 };
  },
  async attack(ctx, state) {
    // The mesh forms first: the attacker goes after the collective's traffic, not the handshake frames.
    formMesh(ctx, state);
    const network = networkOf(ctx);
    const members = new Set(state.cluster.members.map((m) => m.host));
    const spoofed = spoofableHost(network.links(), members);
    network.tap(network.uplinkOf(0, 'down'), (packet, atPs) => {
      if (!isLinkData(packet) || state.template !== undefined || spoofed === undefined) return;
      state.template = packet;
      for (let i = 0; i < INJECTIONS; i++) network.inject(forgeFrom(packet, spoofed, i), atPs + (i + 1) * 1000);
      state.injected = INJECTIONS;
    });
    allReduce(ctx, state);
    const refused = stat(state, 'rejected.unknownPeer') + stat(state, 'rejected.plaintext');
    ctx.note(`injected ${state.injected} packets spoofing host ${spoofed}; rank 0's NIC refused ${refused}`);
    fileForged(ctx, 'rank 0 downlink', 'tampered', state.injected, Math.max(0, state.injected - refused), `injected, claiming host ${spoofed}`);
  },
  check(_ctx, state) {
    return [
      { invariant: 'SCENARIO-INJECTED', held: state.injected === INJECTIONS, detail: `${state.injected} of ${INJECTIONS} forged packets injected` },
      resultVerdict(state),
    ];
  },
});

/** A host of the fabric outside the job (host links are named `h<id>->…`), or a member's id if there is none. */
function spoofableHost(links: readonly LinkInfo[], members: ReadonlySet<number>): number | undefined {
  const hosts = links.map((l) => /^h(\d+)->/.exec(l.name)?.[1]).filter((h): h is string => h !== undefined).map(Number);
  return hosts.find((h) => !members.has(h));
}
