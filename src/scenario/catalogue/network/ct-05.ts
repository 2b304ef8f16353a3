import { defineScenario } from '../../define.ts';
import { SMALL_CLUSTER, keyedWith, launchCluster, meshThenAllReduce, resultVerdict, type NetState } from './helpers.ts';

/** The rank whose enclave was launched in debug mode (its memory and console are open to its parent). */
const DEBUG_RANK = 1;

/** CT-05: a peer enclave in debug mode in our collective. */
export default defineScenario<NetState>({
  id: 'CT-05',
  name: 'ct.fabric.debug-peer',
  title: 'One rank’s enclave runs in debug mode; will the others send it our data?',
  attacker: 'co-tenant',
  promises: ['P2', 'P3'],
  invariants: ['INV-LINK', 'INV-DELIVERY', 'INV-FAIL-CLOSED'],
  tags: { attack: [], atlas: ['AML.T0048.004'] },
  defence: 'linkPeerAttestation',
  expect: 'blocked',
  cluster: { ...SMALL_CLUSTER, debugRanks: [DEBUG_RANK] },
  teaching:
    'An enclave launched in debug mode runs the same image, but its parent can read its console and memory, and its attestation document says so: its PCRs are all zeros. A peer that trusted it would hand our shards to whoever runs that parent. ' +
    'Each handshake checks the peer’s evidence against the allowlist of PCR0 values, which debug-mode zeros never match, so no link to the debug rank is keyed and the all-reduce stops with a typed error: none of our data is sealed for it. ' +
    'With peer attestation off the debug enclave is keyed like any other and receives our tensor’s chunks: the scenario sees the keyed links and the collective completing with it.',
  setup: launchCluster,
  async attack(ctx, state) {
    meshThenAllReduce(ctx, state);
  },
  check(_ctx, state) {
    const keyed = keyedWith(state, DEBUG_RANK);
    const sent = state.outcome !== undefined && state.outcome.errors.length === 0;
    return [
      {
        invariant: 'SCENARIO-NO-DATA-TO-DEBUG-PEER',
        held: keyed.length === 0 && !sent,
        detail:
          keyed.length === 0 && !sent
            ? `no link keyed with the debug-mode rank ${DEBUG_RANK}${state.refusal ? ` (refused: ${state.refusal})` : ''}`
            : `the debug-mode rank was keyed (${keyed.join(', ') || 'none'})${sent ? ' and the all-reduce sent it our data' : ''}`,
      },
      resultVerdict(state),
    ];
  },
});
