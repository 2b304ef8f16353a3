import { EmuError } from '../../errors.ts';
import { ecmpHash } from './hash.ts';
import { ecmpChoose, hostAttachedTopology, type Topology } from './topology.ts';

const SIZE_MAX = 4096;

/**
 * Two-tier leaf/spine. Link ids: host h up (h→leaf) = h; down (leaf→h) = N + h; leaf l → spine s = 2N + l·S + s;
 * spine s → leaf l = 2N + L·S + s·L + l. Cross-leaf traffic picks its spine by ECMP at the source leaf.
 */
export function leafSpineTopology(leaves: number, spines: number, hostsPerLeaf: number, seed: number): Topology {
  for (const [name, value] of [['leaves', leaves], ['spines', spines], ['hostsPerLeaf', hostsPerLeaf]] as const) {
    if (!Number.isSafeInteger(value) || value < 1 || value > SIZE_MAX) {
      throw new EmuError('EFA_BAD_TOPOLOGY', `${name} must be an integer in 1..${SIZE_MAX}`, { [name]: value });
    }
  }
  const n = leaves * hostsPerLeaf;
  const upBase = 2 * n;
  const downBase = 2 * n + leaves * spines;

  return hostAttachedTopology({
    hostCount: n,
    hostSwitch: (h) => `leaf${Math.floor(h / hostsPerLeaf)}`,
    blocks: [
      { firstId: upBase, tier: 'leaf-spine', extents: [leaves, spines], name: (l, s) => `leaf${l}->spine${s}` },
      { firstId: downBase, tier: 'leaf-spine', extents: [spines, leaves], name: (s, l) => `spine${s}->leaf${l}` },
    ],
    next(linkId, src, dst, entropy, routeDead) {
      const dstLeaf = Math.floor(dst / hostsPerLeaf);
      if (linkId < n) {
        const leaf = Math.floor(linkId / hostsPerLeaf);
        if (leaf === dstLeaf) return n + dst;
        const hash = ecmpHash(seed, src, dst, entropy, 0);
        const alive =
          routeDead === null
            ? null
            : (s: number) => routeDead[upBase + leaf * spines + s] === 0 && routeDead[downBase + s * leaves + dstLeaf] === 0;
        return upBase + leaf * spines + ecmpChoose(hash, spines, alive);
      }
      if (linkId < upBase) return -1;
      if (linkId < downBase) return downBase + ((linkId - upBase) % spines) * leaves + dstLeaf;
      return n + dst;
    },
  });
}
