import { defineScenario } from '../../define.ts';
import { SMALL_CLUSTER, keyedWith, launchCluster, meshThenAllReduce, resultVerdict, type NetState } from './helpers.ts';

/** The rank whose host runs the co-tenant's own enclave image instead of ours. */
const FOREIGN_RANK = 1;

/** CT-04: a co-tenant's enclave takes a rank of our collective. */
export default defineScenario<NetState>({
  id: 'CT-04',
  name: 'ct.fabric.join-collective',
  title: 'A co-tenant’s enclave, running its own image, joins our all-reduce as a rank',
  attacker: 'co-tenant',
  promises: ['P2', 'P3'],
  invariants: ['INV-LINK', 'INV-DELIVERY', 'INV-FAIL-CLOSED'],
  tags: { attack: ['T1557'], atlas: ['AML.T0048.004'] },
  defence: 'linkPeerAttestation',
  expect: 'blocked',
  cluster: { ...SMALL_CLUSTER, foreignImageRanks: [FOREIGN_RANK] },
  teaching:
    'A co-tenant runs a genuine Nitro enclave of its own image on the host where our rank 1 should be, and answers our job’s handshakes: its attestation document is real, signed by the same Nitro root. ' +
    'Membership comes from attestation, not from addresses: each handshake checks the peer’s PCR0 against the job’s allowlist (and the job id against its own), so no pair with the foreign rank is keyed, the mesh reports the refusal with a typed code, and the collective stops with a typed error instead of sending our tensor to it. ' +
    'With peer attestation off any enclave that speaks the protocol is accepted: the foreign rank gets keys for our job and receives our shards (the scenario sees its keyed links).',
  setup: launchCluster,
  async attack(ctx, state) {
    const outcome = meshThenAllReduce(ctx, state);
    // The foreign enclave is the co-tenant's own code: what it ends up holding, the co-tenant holds.
    const taken = outcome?.outputs[FOREIGN_RANK];
    if (taken !== undefined) ctx.loot('foreign rank all-reduce result', new Uint8Array(taken.buffer, taken.byteOffset, taken.byteLength));
  },
  check(_ctx, state) {
    const keyed = keyedWith(state, FOREIGN_RANK);
    return [
      {
        invariant: 'SCENARIO-FOREIGN-RANK-REFUSED',
        held: keyed.length === 0,
        detail: keyed.length === 0 ? `no link keyed with the co-tenant's rank ${FOREIGN_RANK}${state.refusal ? ` (refused: ${state.refusal})` : ''}` : `the co-tenant's rank was accepted: ${keyed.join(', ')} keyed`,
      },
      resultVerdict(state),
    ];
  },
});
