// Ring all-reduce of the ranks' tensors over the encrypted fabric (SRD in each NIC, sealed with the mesh's keys),
// judged against the single-host reference bit for bit. A ring that needs a link the mesh refused does not start.
import { equalBytes } from '../crypto/index.ts';
import { ringAllReduceReference, runRingAllReduce, type SecureLinkProtector } from '../efa/index.ts';
import { EmuError, isEmuError } from '../errors.ts';
import type { ClusterNics } from './nics.ts';
import type { AllReduceOutcome, MeshOutcome } from './types.ts';

/** Bounds: 16 Mi elements per rank, and events one collective may run before it is declared stuck. */
export const ALLREDUCE_ELEMENTS_MAX = 1 << 24;
const ALLREDUCE_EVENTS_MAX = 20_000_000;

/** A tensor's bytes as stored (a view, no copy): what "bit for bit" compares and what digests cover. */
export function tensorBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function linkStats(protectors: ReadonlyMap<number, SecureLinkProtector>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const protector of protectors.values()) {
    for (const [name, value] of Object.entries(protector.stats())) sum[name] = (sum[name] ?? 0) + value;
  }
  return sum;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(after).sort()) out[name] = after[name]! - (before[name] ?? 0);
  return out;
}

export function checkInputs(inputs: readonly Float32Array[], ranks: number): void {
  if (!Array.isArray(inputs) || inputs.length !== ranks) {
    throw new EmuError('CLUSTER_BAD_INPUT', `allReduce needs one tensor per rank (${ranks})`, { inputs: Array.isArray(inputs) ? inputs.length : typeof inputs });
  }
  const length = inputs[0] instanceof Float32Array ? inputs[0].length : -1;
  if (length < 1 || length > ALLREDUCE_ELEMENTS_MAX || inputs.some((x) => !(x instanceof Float32Array) || x.length !== length)) {
    throw new EmuError('CLUSTER_BAD_INPUT', `inputs must be Float32Arrays of one length in 1…${ALLREDUCE_ELEMENTS_MAX}`, { length });
  }
}

export function runClusterAllReduce(nics: ClusterNics, mesh: MeshOutcome, inputs: readonly Float32Array[], collectiveId: number): AllReduceOutcome {
  const ranks = nics.hostOfRank.length;
  checkInputs(inputs, ranks);
  const reference = ringAllReduceReference(inputs);
  const before = linkStats(nics.protectors);
  const failed = (errors: AllReduceOutcome['errors'], durationPs = 0): AllReduceOutcome => ({
    outputs: [],
    reference,
    bitExact: false,
    errors,
    durationPs,
    linkStats: delta(linkStats(nics.protectors), before),
  });
  // The ring sends r → r+1 only; every such link must have come out of the mesh with keys.
  const holes: { rank: number; code: string }[] = [];
  for (let r = 0; r < ranks; r++) {
    const a = Math.min(r, (r + 1) % ranks);
    const b = Math.max(r, (r + 1) % ranks);
    const link = mesh.links.find((l) => l.a === a && l.b === b);
    if (link !== undefined && !link.ok) holes.push({ rank: r, code: link.code ?? 'LINK_REFUSED' });
  }
  if (holes.length > 0) return failed(holes);
  const startPs = nics.fabric.now;
  try {
    const result = runRingAllReduce({
      domain: nics.domain,
      hosts: nics.hostOfRank,
      inputs,
      collectiveId,
      eventsMax: ALLREDUCE_EVENTS_MAX,
    });
    const bitExact = result.outputs.every((out) => equalBytes(tensorBytes(out), tensorBytes(reference)));
    return { outputs: result.outputs, reference, bitExact, errors: [], durationPs: result.durationPs, linkStats: delta(linkStats(nics.protectors), before) };
  } catch (error) {
    if (!isEmuError(error)) throw error;
    // COLLECTIVE_FAILED names the rank and the completion's error; anything else (a NIC refusing to seal) is the job's.
    const details = error.details ?? {};
    const rank = typeof details['rank'] === 'number' ? details['rank'] : -1;
    const code = typeof details['err'] === 'string' ? details['err'] : error.code;
    return failed([{ rank, code }], nics.fabric.now - startPs);
  }
}
