import { EmuError } from '../../errors.ts';
import type { LinkInfo } from '../contracts.ts';
import { ecmpHash } from './hash.ts';
import { ecmpChoose, type Topology } from './topology.ts';

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
  const linkCount = downBase + spines * leaves;
  const links: LinkInfo[] = [];
  for (let h = 0; h < n; h++) links.push({ id: h, name: `h${h}->leaf${Math.floor(h / hostsPerLeaf)}`, tier: 'host' });
  for (let h = 0; h < n; h++) links.push({ id: n + h, name: `leaf${Math.floor(h / hostsPerLeaf)}->h${h}`, tier: 'host' });
  for (let l = 0; l < leaves; l++) {
    for (let s = 0; s < spines; s++) links.push({ id: upBase + l * spines + s, name: `leaf${l}->spine${s}`, tier: 'leaf-spine' });
  }
  for (let s = 0; s < spines; s++) {
    for (let l = 0; l < leaves; l++) links.push({ id: downBase + s * leaves + l, name: `spine${s}->leaf${l}`, tier: 'leaf-spine' });
  }
  const endsAtHost = new Uint8Array(linkCount);
  endsAtHost.fill(1, n, 2 * n);
  const switchPort = new Uint8Array(linkCount);
  switchPort.fill(1, n);

  return {
    hostCount: n,
    links,
    endsAtHost,
    switchPort,
    hostUplink: (host) => host,
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
  };
}
