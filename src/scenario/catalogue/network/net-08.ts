import type { ClusterOptionsExtra } from '../../../cluster/index.ts';
import { isSealedHeader } from '../../../efa/index.ts';
import { defineScenario } from '../../define.ts';
import { SMALL_CLUSTER, allReduceRounds, formMesh, launchCluster, resultVerdict, stat, tapEveryUplink, type NetState } from './helpers.ts';

/**
 * The limits shrunk so a test reaches them in a few all-reduces: a new key every 4 packets (the usage limit), and a
 * 5-bit transmission counter (32 nonces per link direction) standing in for the 64-bit field.
 */
const LINK_LIMITS = { rekeyAfterPackets: 4, txCounterBits: 5 } as const;
/** Enough rounds to send more than 32 packets each way. */
const ROUNDS = 8;

interface VolumeState extends NetState {
  /** Epochs (keys) seen on the wire, per link direction context. */
  readonly epochs: Set<string>;
  sealed: number;
}

const cluster: Omit<ClusterOptionsExtra, 'seed' | 'defences'> = { ...SMALL_CLUSTER, link: LINK_LIMITS };

/** NET-08: traffic past the AEAD usage limit and the nonce counter's width. */
export default defineScenario<VolumeState>({
  id: 'NET-08',
  name: 'net.fabric.aead-usage-limit',
  title: 'Enough all-reduces to pass the key’s usage limit and wrap the nonce counter',
  attacker: 'network',
  promises: ['P3'],
  invariants: ['INV-LINK'],
  tags: { attack: ['T1040'], atlas: [] },
  defence: 'linkRekey',
  expect: 'blocked',
  cluster,
  teaching:
    'AES-GCM is safe only while a (key, nonce) pair is never used twice, and a key should seal only so many packets (NVIDIA’s confidential GPUs stop at SP 800-38D’s limits). The attacker only has to watch and wait: the job keeps training, and the tap checks every sealed packet’s (key, nonce). The limits are shrunk for the test: a new key every 4 packets, a 5-bit counter. ' +
    'The defended link moves to a new epoch (a new key, derived, and the epoch is in the nonce) before each key reaches its limit, and refuses to seal (typed LINK_KEY_EXHAUSTED, a new handshake needed) rather than let the counter wrap: no (key, nonce) ever repeats, and the collective stops with an explicit error instead. ' +
    'With rekeying off the naive NIC keeps one key forever and its counter field simply wraps: the tap sees the same (key, nonce) twice, INV-LINK’s reuse detector fires — with GCM that leaks the XOR of two plaintexts and the authentication key.',
  async setup(ctx) {
    return { ...(await launchCluster(ctx)), epochs: new Set(), sealed: 0 };
  },
  async attack(ctx, state) {
    formMesh(ctx, state);
    tapEveryUplink(ctx, state, (packet) => {
      if (!isSealedHeader(packet.header)) return;
      state.sealed += 1;
      state.epochs.add(`${packet.header.context}:${packet.header.epoch}`);
    });
    allReduceRounds(ctx, state, ROUNDS);
    ctx.note(`${state.sealed} sealed packets under ${state.epochs.size} (direction, epoch) keys; ${stat(state, 'rekeys')} rekeys`);
  },
  check(_ctx, state) {
    return [
      { invariant: 'SCENARIO-VOLUME', held: state.sealed > 2 ** LINK_LIMITS.txCounterBits, detail: `${state.sealed} sealed packets seen, past the ${2 ** LINK_LIMITS.txCounterBits}-nonce counter` },
      resultVerdict(state),
    ];
  },
});
