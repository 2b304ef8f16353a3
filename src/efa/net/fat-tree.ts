import { EmuError } from '../../errors.ts';
import { ecmpHash } from './hash.ts';
import { ecmpChoose, hostAttachedTopology, type Topology } from './topology.ts';

const K_MAX = 64;

/**
 * k-ary three-tier fat tree (k pods; per pod k/2 edge and k/2 aggregation switches; (k/2)² cores; k³/4 hosts).
 * With h = k/2 and N = k³/4, link ids are six blocks of N:
 *   host x up = x; down = N + x; edge e → agg a in pod p = 2N + (p·h + e)·h + a; agg a → edge e = 3N + (p·h + a)·h + e;
 *   agg a of pod p → core (a, j) = 4N + (p·h + a)·h + j; core (a, j) → agg a of pod p = 5N + (a·h + j)·k + p.
 * ECMP: stage 0 picks the aggregation switch at the source edge, stage 1 the core at that aggregation switch.
 */
export function fatTreeTopology(k: number, seed: number): Topology {
  if (!Number.isSafeInteger(k) || k < 2 || k > K_MAX || k % 2 !== 0) {
    throw new EmuError('EFA_BAD_TOPOLOGY', `fat-tree k must be an even integer in 2..${K_MAX}`, { k });
  }
  const half = k / 2;
  const perPod = half * half;
  const n = (k * k * k) / 4;
  const EA = 2 * n;
  const AE = 3 * n;
  const AC = 4 * n;
  const CA = 5 * n;
  const edgeName = (x: number) => `edge${Math.floor(x / perPod)}.${Math.floor((x % perPod) / half)}`;

  const up = (p: number, e: number, a: number) => EA + (p * half + e) * half + a;
  const down = (p: number, a: number, e: number) => AE + (p * half + a) * half + e;
  const toCore = (p: number, a: number, j: number) => AC + (p * half + a) * half + j;
  const fromCore = (a: number, j: number, p: number) => CA + (a * half + j) * k + p;
  const coreAlive = (dead: Uint8Array, p: number, a: number, j: number, dp: number, de: number) =>
    dead[toCore(p, a, j)] === 0 && dead[fromCore(a, j, dp)] === 0 && dead[down(dp, a, de)] === 0;

  return hostAttachedTopology({
    hostCount: n,
    hostSwitch: edgeName,
    blocks: [
      { firstId: EA, tier: 'edge-agg', extents: [k, half, half], name: (p, e, a) => `edge${p}.${e}->agg${p}.${a}` },
      { firstId: AE, tier: 'edge-agg', extents: [k, half, half], name: (p, a, e) => `agg${p}.${a}->edge${p}.${e}` },
      { firstId: AC, tier: 'agg-core', extents: [k, half, half], name: (p, a, j) => `agg${p}.${a}->core${a}.${j}` },
      { firstId: CA, tier: 'agg-core', extents: [half, half, k], name: (a, j, p) => `core${a}.${j}->agg${p}.${a}` },
    ],
    next(linkId, src, dst, entropy, dead) {
      const dp = Math.floor(dst / perPod);
      const de = Math.floor((dst % perPod) / half);
      if (linkId < n) {
        const p = Math.floor(linkId / perPod);
        const e = Math.floor((linkId % perPod) / half);
        if (p === dp && e === de) return n + dst;
        const hash = ecmpHash(seed, src, dst, entropy, 0);
        let alive: ((a: number) => boolean) | null = null;
        if (dead !== null) {
          alive = (a) => {
            if (dead[up(p, e, a)] !== 0) return false;
            if (p === dp) return dead[down(p, a, de)] === 0;
            for (let j = 0; j < half; j++) if (coreAlive(dead, p, a, j, dp, de)) return true;
            return false;
          };
        }
        return up(p, e, ecmpChoose(hash, half, alive));
      }
      if (linkId < EA) return -1;
      if (linkId < AE) {
        const pa = Math.floor((linkId - EA) / half);
        const p = Math.floor(pa / half);
        const a = (linkId - EA) % half;
        if (p === dp) return down(p, a, de);
        const hash = ecmpHash(seed, src, dst, entropy, 1);
        const alive = dead === null ? null : (j: number) => coreAlive(dead, p, a, j, dp, de);
        return toCore(p, a, ecmpChoose(hash, half, alive));
      }
      if (linkId < AC) return n + dst;
      if (linkId < CA) {
        const a = Math.floor((linkId - AC) / half) % half;
        const j = (linkId - AC) % half;
        return fromCore(a, j, dp);
      }
      const a = Math.floor((linkId - CA) / (half * k));
      return down(dp, a, de);
    },
  });
}
