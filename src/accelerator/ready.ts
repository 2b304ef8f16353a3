import { hkdfSha384 } from '../crypto/index.ts';

/**
 * SET_READY proof: only a holder of the session secret can compute it, and the epoch makes a proof from before a
 * reset useless after it. Stands in for SET_READY sent over the SPDM secured session (research/gpu-cc.md §5.2).
 */
export function readyProof(sessionSecret: Uint8Array, epoch: number): Uint8Array {
  return hkdfSha384(sessionSecret, new Uint8Array(0), new TextEncoder().encode(`nitro-emu accel set-ready epoch ${epoch}`), 48);
}

export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
