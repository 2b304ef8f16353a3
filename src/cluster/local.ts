// Each rank's local tensor: real output of its enclave, obtained the way a client obtains it (attested, end-to-end
// encrypted through the parent). On accelerators the enclave generates tokens on its attested devices; each token
// id t becomes the float32 t/255. On the CPU the app's MLP returns a float32 probability vector, taken as it is.
// A rank asks for as many samples as it takes for its own ring chunk to be a canary (≥ 12 bytes).
import { concatBytes, utf8 } from '../crypto/index.ts';
import { ringChunks } from '../efa/index.ts';
import { EmuError, assert } from '../errors.ts';
import { CANARY_BYTES_MIN } from '../scenario/index.ts';
import { clientInference } from '../world/index.ts';
import type { HostState } from './hosts.ts';

const SAMPLES_PER_RANK_MAX = 16;
/** A canary needs variety as well as length: twelve equal bytes would match any zero padding on the wire. */
const CANARY_DISTINCT_BYTES_MIN = 6;

export interface LocalResult {
  readonly tensors: Float32Array[];
  readonly samplesPerRank: number;
  readonly source: 'device-tokens' | 'cpu-probabilities';
}

function samplePrompt(state: HostState, sample: number): Uint8Array {
  // The rank's label first: the model sees only the first bytes of a prompt, and each sample must differ.
  return concatBytes(utf8(`rank ${state.rank} sample ${sample}: `), state.deployment!.prompt);
}

async function sampleOutput(state: HostState, sample: number): Promise<Uint8Array> {
  const { world, enclave, deployment } = state;
  assert(enclave !== undefined && deployment !== undefined, `rank ${state.rank} is launched`);
  const outcome = await world.sim.runUntil(clientInference(world, enclave, { ...deployment, prompt: samplePrompt(state, sample) }));
  if (!outcome.completed || outcome.output === undefined) {
    throw new EmuError('CLUSTER_LOCAL_FAILED', `rank ${state.rank}'s enclave did not answer: ${outcome.error ?? 'no output'}`, { rank: state.rank });
  }
  return outcome.output;
}

function floatsOf(state: HostState, output: Uint8Array): Float32Array {
  if (state.world.accelerators.length > 0) return Float32Array.from(output, (token) => token / 255);
  if (output.length % 4 !== 0) throw new EmuError('CLUSTER_LOCAL_FAILED', `rank ${state.rank}'s CPU output is not float32 data`, { bytes: output.length });
  return new Float32Array(output.slice().buffer);
}

/** Fewest samples that give every rank's own chunk at least CANARY_BYTES_MIN bytes. */
export function samplesFor(elementsPerSample: number, ranks: number): number {
  const floats = Math.ceil(CANARY_BYTES_MIN / 4);
  for (let k = 1; k <= SAMPLES_PER_RANK_MAX; k++) {
    if (ringChunks(elementsPerSample * k, ranks).every((c) => c.end - c.start >= floats)) return k;
  }
  throw new EmuError('CLUSTER_LOCAL_FAILED', `${elementsPerSample} values per sample cannot fill ${ranks} ring chunks`);
}

/**
 * Ranks with the job's data: their enclave got its key and runs the approved image. A co-tenant's enclave serves
 * its own clients; the job's client refuses to attest it (CLIENT_UNEXPECTED_IMAGE), so it contributes nothing.
 */
export function contributes(state: HostState): boolean {
  return state.ready && !state.foreign;
}

export async function computeLocalTensors(hosts: readonly HostState[]): Promise<LocalResult> {
  const ready = hosts.filter(contributes);
  if (ready.length === 0) throw new EmuError('CLUSTER_NOT_READY', 'no rank has an enclave that got its key', {});
  const first = floatsOf(ready[0]!, await sampleOutput(ready[0]!, 0));
  const samples = samplesFor(first.length, hosts.length);
  const length = first.length * samples;
  const tensors: Float32Array[] = [];
  for (const state of hosts) {
    const tensor = new Float32Array(length);
    // A rank whose enclave holds no model (debug mode, refused key) or is a co-tenant's has nothing to give: zeros.
    if (contributes(state)) {
      for (let k = 0; k < samples; k++) {
        const values = state === ready[0] && k === 0 ? first : floatsOf(state, await sampleOutput(state, k));
        if (values.length !== first.length) throw new EmuError('CLUSTER_LOCAL_FAILED', `rank ${state.rank} returned ${values.length} values, not ${first.length}`);
        tensor.set(values, k * first.length);
      }
    }
    tensors.push(tensor);
  }
  return { tensors, samplesPerRank: samples, source: ready[0]!.world.accelerators.length > 0 ? 'device-tokens' : 'cpu-probabilities' };
}

/**
 * Rank r's own ring chunk crosses the fabric raw in the first reduce-scatter step, so its bytes are the canary of
 * r's data. Planted in every host's ledger: any host's parent, or the network, may be the one that sees it.
 */
export function plantTensorCanaries(hosts: readonly HostState[], tensors: readonly Float32Array[], label: string): string[] {
  const planted: string[] = [];
  const chunks = ringChunks(tensors[0]!.length, tensors.length);
  for (const state of hosts) {
    if (!contributes(state)) continue;
    const chunk = chunks[state.rank]!;
    const bytes = new Uint8Array(tensors[state.rank]!.buffer.slice(chunk.start * 4, chunk.end * 4));
    if (bytes.length < CANARY_BYTES_MIN || new Set(bytes).size < CANARY_DISTINCT_BYTES_MIN) continue;
    const name = `rank${state.rank}-local-tensor${label}`;
    for (const h of hosts) h.world.ledger.plantCanary(name, 'client', bytes);
    planted.push(name);
  }
  return planted;
}
