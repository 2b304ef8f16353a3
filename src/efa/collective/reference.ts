// The single-host reference of the ring all-reduce: the same chunking and the same float32 summation order as the
// ring, so the fabric result must equal it bit for bit (float addition is commutative but not associative; the
// ring fixes the association, this function reproduces it).
import { EmuError } from '../../errors.ts';

export interface ChunkRange {
  readonly start: number;
  readonly end: number;
}

/** Chunk c of a ring over `ranks` ranks: [floor(c·L/N), floor((c+1)·L/N)). Chunks may be empty when L < N. */
export function ringChunks(length: number, ranks: number): ChunkRange[] {
  const out: ChunkRange[] = [];
  for (let c = 0; c < ranks; c++) {
    out.push({ start: Math.floor((c * length) / ranks), end: Math.floor(((c + 1) * length) / ranks) });
  }
  return out;
}

/**
 * Element i of chunk c is ((x_c + x_{c+1}) + x_{c+2}) + … + x_{c+N−1} (ranks mod N), each sum rounded to float32:
 * the order in which the partial sum travels round the ring during reduce-scatter.
 */
export function ringAllReduceReference(inputs: readonly Float32Array[]): Float32Array {
  const ranks = inputs.length;
  if (ranks < 1) throw new EmuError('COLLECTIVE_BAD_INPUT', 'at least one rank');
  const length = inputs[0]!.length;
  if (inputs.some((x) => x.length !== length)) throw new EmuError('COLLECTIVE_BAD_INPUT', 'all ranks need the same length');
  const out = new Float32Array(length);
  for (const [c, { start, end }] of ringChunks(length, ranks).entries()) {
    for (let i = start; i < end; i++) {
      let acc = inputs[c]![i]!;
      for (let k = 1; k < ranks; k++) acc = Math.fround(acc + inputs[(c + k) % ranks]![i]!);
      out[i] = acc;
    }
  }
  return out;
}
