// Steps shared by the fabric scenarios (NET, CT-04, CT-05): the cluster's flow (launch, local tensors, mesh,
// all-reduce), and filing what the wire and the collective showed for the global checkers (INV-LINK, INV-DELIVERY).
// Nothing here reads a host's keys: the attacker's view is the NetworkHandle, the platform's view the outcomes.
import { isHandshakeFrame, tensorBytes, type AllReduceOutcome, type Cluster, type MeshOutcome, type NetworkHandle, type NitroCluster } from '../../../cluster/index.ts';
import { equalBytes } from '../../../crypto/index.ts';
import { ENDPOINT_HEADER_BYTES, isSealedHeader, type Packet } from '../../../efa/index.ts';
import { assert, isEmuError } from '../../../errors.ts';
import type { CheckVerdict, ScenarioContext, ScenarioMeta } from '../../define.ts';

/** Smallest flows that still cross several packets: 2 hosts, collective on the enclaves' CPU results. */
export const SMALL_CLUSTER = { hosts: 2, accelerators: { flavour: 'gpu', count: 0 } } as const;

/** Bound on packets one scenario keeps or files (a small all-reduce is a few hundred). */
export const PACKETS_KEPT_MAX = 20_000;

/** The catalogue facts NET-03 and NET-04 share: the network attacker against the receivers' anti-replay window. */
export const ANTI_REPLAY_ROW = {
  attacker: 'network',
  promises: ['P3'],
  invariants: ['INV-LINK', 'INV-DELIVERY'],
  tags: { attack: ['T1557'], atlas: [] },
  defence: 'linkAntiReplay',
  expect: 'blocked',
} as const satisfies Partial<ScenarioMeta>;

export interface NetState {
  readonly cluster: Cluster;
  readonly inputs: readonly Float32Array[];
  mesh?: MeshOutcome;
  /** The last all-reduce's outcome; `outcomes` holds every round's. */
  outcome?: AllReduceOutcome;
  readonly outcomes: AllReduceOutcome[];
  /** The secure links' counters summed over every round. */
  readonly stats: Record<string, number>;
  /** The typed error that stopped formMesh or allReduce, if any. */
  refusal?: string;
}

export function clusterOf(ctx: ScenarioContext): Cluster {
  assert(ctx.cluster !== undefined, 'a fabric scenario declares `cluster`');
  return ctx.cluster;
}

export function networkOf(ctx: ScenarioContext): NetworkHandle {
  const network = ctx.attacker.network;
  assert(network !== undefined, 'only the network attacker holds the fabric handle');
  return network;
}

/** setup: every host launches its enclave, which computes its local tensor. */
export async function launchCluster(ctx: ScenarioContext): Promise<NetState> {
  const cluster = clusterOf(ctx);
  await cluster.launch();
  const inputs = await cluster.computeLocal();
  ctx.note(`${cluster.members.length} hosts launched, job ${cluster.jobId}, tensors of ${inputs[0]?.length ?? 0} floats`);
  return { cluster, inputs, outcomes: [], stats: {} };
}

/** The plain collective: the mesh, then one all-reduce if it formed (a refusal of either is kept in `state`). */
export function meshThenAllReduce(ctx: ScenarioContext, state: NetState): AllReduceOutcome | undefined {
  const mesh = formMesh(ctx, state);
  return mesh === undefined ? undefined : allReduce(ctx, state);
}

/** Rounds of all-reduce (a training step each): more traffic on the same links and keys. Stops at the first error. */
export function allReduceRounds(ctx: ScenarioContext, state: NetState, rounds: number): void {
  for (let round = 0; round < rounds; round++) {
    const outcome = allReduce(ctx, state, `round ${round}`);
    if (outcome === undefined || outcome.errors.length > 0) return;
  }
}

/** Runs a platform step; a typed refusal is noted and kept, anything else is a bug and propagates. */
function typed<T>(ctx: ScenarioContext, state: NetState, what: string, step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    if (!isEmuError(error)) throw error;
    state.refusal ??= error.code;
    ctx.note(`${what} refused: ${error.code}`);
    return undefined;
  }
}

export function formMesh(ctx: ScenarioContext, state: NetState): MeshOutcome | undefined {
  const mesh = typed(ctx, state, 'mesh', () => state.cluster.formMesh());
  if (mesh === undefined) return undefined;
  state.mesh = mesh;
  for (const link of mesh.links) {
    const how = link.ok ? `keyed${link.encrypted === false ? ' UNENCRYPTED' : ''}${link.suite ? ` (${link.suite})` : ''}` : `refused ${link.code ?? ''}`;
    ctx.note(`mesh ${link.a}↔${link.b}: ${how}`);
    if (link.ok) continue;
    if (link.code !== undefined) state.refusal ??= link.code;
    const keysLeft = pairKeysLeft(state.cluster, link.a, link.b);
    ctx.failClosed(`handshake ${link.a}↔${link.b}`, {
      typed: link.code !== undefined,
      stateUnchanged: keysLeft === false,
      detail: `refused with ${link.code ?? 'no code'}; ${keysLeft === undefined ? 'the NICs could not be inspected' : keysLeft ? 'a NIC still holds keys for the pair' : 'neither NIC holds keys for the pair'}`,
    });
  }
  return mesh;
}

/** Pairs of the mesh that keyed a link with a rank that must never hold our job's keys. */
export function keyedWith(state: NetState, rank: number): string[] {
  return (state.mesh?.links ?? []).filter((l) => l.ok && (l.a === rank || l.b === rank)).map((l) => `${l.a}↔${l.b}`);
}

/** Whether either rank's NIC still holds a session with the other after a refused handshake (undefined: no way to look). */
function pairKeysLeft(cluster: Cluster, a: number, b: number): boolean | undefined {
  const nics = cluster as Partial<NitroCluster>;
  if (typeof nics.protectorOf !== 'function') return undefined;
  const hostOf = (rank: number) => cluster.members[rank]!.host;
  return nics.protectorOf(a).txEpoch(hostOf(b)) !== undefined || nics.protectorOf(b).txEpoch(hostOf(a)) !== undefined;
}

/**
 * Runs the all-reduce and files each rank's result as one delivery (INV-DELIVERY): intact, corrupt, or a typed error
 * (a rank the collective names, or every rank when the error names none).
 */
export function allReduce(ctx: ScenarioContext, state: NetState, label = 'all-reduce'): AllReduceOutcome | undefined {
  const outcome = typed(ctx, state, label, () => state.cluster.allReduce(state.inputs));
  const ranks = state.cluster.members.length;
  if (outcome === undefined) {
    for (let rank = 0; rank < ranks; rank++) ctx.recordDelivery?.({ messageId: `${label} rank ${rank}`, deliveredIntact: 0, deliveredCorrupt: 0, typedError: state.refusal ?? 'REFUSED' });
    return undefined;
  }
  state.outcome = outcome;
  state.outcomes.push(outcome);
  for (const [name, value] of Object.entries(outcome.linkStats)) state.stats[name] = (state.stats[name] ?? 0) + value;
  // A failed collective gives no rank a result: each is reported with its own error, or the collective's.
  const anyError = outcome.errors[0]?.code ?? null;
  for (let rank = 0; rank < ranks; rank++) {
    const error = outcome.errors.find((e) => e.rank === rank)?.code ?? anyError;
    const output = outcome.outputs[rank];
    const intact = error === null && output !== undefined && sameFloats(output, outcome.reference);
    ctx.recordDelivery?.({ messageId: `${label} rank ${rank}`, deliveredIntact: intact ? 1 : 0, deliveredCorrupt: error === null && !intact ? 1 : 0, typedError: error });
  }
  const errors = outcome.errors.map((e) => `${e.rank}:${e.code}`).join(', ');
  const how = outcome.errors.length > 0 ? `stopped with typed errors ${errors}` : outcome.bitExact ? 'bit-exact with the single-host reference' : 'DIFFERS from the reference, no error';
  ctx.note(`${label}: ${how}`);
  if (outcome.errors.length > 0) state.refusal ??= outcome.errors[0]!.code;
  return outcome;
}

/** Bit-for-bit equality (NaN and −0 included), as the reference comparison means it. */
export function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return equalBytes(tensorBytes(a), tensorBytes(b));
}

/** A secure-link counter summed over every round so far. */
export function stat(state: NetState, name: string): number {
  return state.stats[name] ?? 0;
}

/**
 * A packet that carries tensor bytes, told from the readable transport header (SRD's header is authenticated, not
 * encrypted): a segment of a message longer than the endpoint's own header. Control messages (responses) are not.
 */
export function carriesTensor(packet: Packet): boolean {
  if (!isLinkData(packet)) return false;
  const header = isSealedHeader(packet.header) ? packet.header.inner : packet.header;
  const fields = (typeof header === 'object' && header !== null ? header : {}) as { readonly msgBytes?: unknown; readonly length?: unknown };
  return typeof fields.msgBytes === 'number' && fields.msgBytes > ENDPOINT_HEADER_BYTES && typeof fields.length === 'number' && fields.length >= 4;
}

/** A packet of the collective's traffic (not a handshake frame), with a payload. */
export function isLinkData(packet: Packet): boolean {
  return packet.kind === 'data' && packet.payload !== undefined && !isHandshakeFrame(packet);
}

/** The (key, IV) identity of a sealed packet as a wire observer reads it: link SPI, epoch, direction context, counter. */
export function keyIvOf(packet: Packet): string | undefined {
  const h = packet.header;
  if (!isSealedHeader(h)) return undefined;
  return `${h.spi.toString(16)}:${h.epoch}:${h.context}:${h.counter}`;
}

/**
 * Files one genuine transmission seen on the wire (INV-LINK): protected only if sealed. Call it once per
 * transmission (where it is first seen), never for the attacker's own copies.
 */
export function fileGenuine(ctx: ScenarioContext, link: string, packet: Packet): void {
  if (isHandshakeFrame(packet)) return;
  const keyIv = keyIvOf(packet);
  const what = `${packet.kind} ${packet.src}→${packet.dst}, ${packet.payload?.length ?? 0} B`;
  ctx.recordLink?.({ link, protected: keyIv !== undefined, kind: 'genuine', accepted: true, ...(keyIv === undefined ? {} : { keyIv }), detail: what });
}

/**
 * Taps every rank's uplink, where each transmission is first seen: files it there as genuine (once), then hands it
 * to `observe`, if any.
 */
export function tapEveryUplink(ctx: ScenarioContext, state: NetState, observe?: (packet: Packet) => void): void {
  const network = networkOf(ctx);
  for (const member of state.cluster.members) {
    network.tap(network.uplinkOf(member.rank, 'up'), (packet) => {
      fileGenuine(ctx, `rank ${member.rank} uplink`, packet);
      observe?.(packet);
    });
  }
}

/**
 * Files the attacker's frames of one kind (INV-LINK): `accepted` of them got past the receiving NIC, judged by
 * how many the hosts' protectors refused (their counters are the only record of a refusal).
 */
export function fileForged(ctx: ScenarioContext, link: string, kind: 'tampered' | 'replayed' | 'spliced' | 'reflected', sent: number, accepted: number, detail: string): void {
  for (let i = 0; i < sent; i++) ctx.recordLink?.({ link, protected: true, kind, accepted: i < accepted, detail });
}

/** The verdict every fabric scenario ends with: each round's result is the reference bit for bit, or a typed error. */
export function resultVerdict(state: NetState): CheckVerdict {
  if (state.outcomes.length === 0) {
    return { invariant: 'SCENARIO-RESULT', held: state.refusal !== undefined, detail: state.refusal !== undefined ? `no result: refused with ${state.refusal}` : 'no result and no typed error' };
  }
  const silent = state.outcomes.filter((o) => !o.bitExact && o.errors.length === 0).length;
  const exact = state.outcomes.filter((o) => o.bitExact).length;
  if (silent > 0) return { invariant: 'SCENARIO-RESULT', held: false, detail: `${silent} of ${state.outcomes.length} all-reduces ended with a result that differs from the reference, and no error said so` };
  return { invariant: 'SCENARIO-RESULT', held: true, detail: `${exact} of ${state.outcomes.length} all-reduces bit-exact with the reference, the others stopped with a typed error` };
}
