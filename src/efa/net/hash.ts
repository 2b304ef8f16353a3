// Integer hashing for ECMP, stream seeding and the trace digest: 32-bit, Math.imul only, identical on every
// platform (no floats, no string hashing from the runtime).

/** MurmurHash3's 32-bit finaliser: full avalanche, so nearby inputs land on unrelated outputs. */
export function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Absorbs one 32-bit word into a running hash (add-then-finalise; the golden-ratio constant breaks 0 → 0). */
export function absorb32(hash: number, word: number): number {
  return fmix32(((hash ^ word) + 0x9e37_79b9) | 0);
}

/**
 * The ECMP hash (documented contract of the fabric): uplink = ecmpHash(seed, src, dst, entropy, stage) mod fan-out,
 * where h starts at fmix32(0x243f6a88) and absorbs, in order, seed low 32 bits, seed high bits, src, dst, entropy
 * and the stage (0 = first choice up from the host's switch, 1 = the next tier's choice in a fat tree) with
 * h = fmix32((h ^ word) + 0x9e3779b9). Same (seed, src, dst, entropy) → same route, so each path is FIFO; the stage
 * word keeps the two fat-tree choices independent.
 */
export function ecmpHash(seed: number, src: number, dst: number, entropy: number, stage: number): number {
  let h = fmix32(0x243f_6a88);
  h = absorb32(h, seed >>> 0);
  h = absorb32(h, Math.floor(seed / 0x1_0000_0000) >>> 0);
  h = absorb32(h, src);
  h = absorb32(h, dst);
  h = absorb32(h, entropy >>> 0);
  h = absorb32(h, stage);
  return h;
}

/** FNV-1a (32-bit) over a UTF-16 string's code units: names random streams. */
export function fnv1a32String(text: string): number {
  let h = 0x811c_9dc5;
  const limit = Math.min(text.length, 4096);
  for (let i = 0; i < limit; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x0100_0193);
  }
  return h >>> 0;
}
