// Validation of ClusterOptions and everything derived from them alone: per-host seeds, where each rank sits on the
// fabric, and the secure-link defences the world defences stand for.
import { sha256, utf8 } from '../crypto/index.ts';
import type { AcceleratorFlavour } from '../accelerator/index.ts';
import { DEFAULT_FABRIC_CONFIG, type FabricConfig, type SecureLinkDefences, type SecureLinkProtectorOptions } from '../efa/index.ts';
import { EmuError } from '../errors.ts';
import { ALL_DEFENCES, DEFENCE_NAMES, type WorldDefences } from '../world/index.ts';
import { CLUSTER_HOSTS_MAX, CLUSTER_HOSTS_MIN, type ClusterOptions } from './types.ts';

/** Accelerators per host (the world's own bound). */
export const CLUSTER_DEVICES_MAX = 8;
/** The secure link's job id field (src/efa/secure JOB_ID_BYTES_MAX). */
export const JOB_ID_BYTES_MAX = 64;

/** Knobs of the secure links a scenario may tighten to reach a limit quickly (NET-08); defaults are the protector's. */
export type ClusterLinkOptions = Pick<SecureLinkProtectorOptions, 'rekeyAfterPackets' | 'keyUsagePacketsMax' | 'replayWindow' | 'txCounterBits'>;

/** What the implementation accepts beyond the contract (types.ts allows added fields). */
export interface ClusterOptionsExtra extends ClusterOptions {
  /** UTC instant of virtual time 0 in every host's world (default: the worlds' fixed epoch). */
  readonly epochMs?: number;
  readonly link?: ClusterLinkOptions;
}

export interface ResolvedClusterOptions {
  readonly seed: number;
  readonly hosts: number;
  readonly accelerators: { readonly flavour: AcceleratorFlavour; readonly count: number };
  readonly defences: Partial<WorldDefences>;
  /** The defences every world runs with (ALL_DEFENCES with the overrides). */
  readonly worldDefences: WorldDefences;
  readonly jobId: string;
  readonly debugRanks: ReadonlySet<number>;
  readonly foreignImageRanks: ReadonlySet<number>;
  readonly crypto: 'real' | 'model';
  readonly epochMs: number | undefined;
  readonly link: ClusterLinkOptions;
}

function bad(message: string, details?: Record<string, unknown>): never {
  throw new EmuError('CLUSTER_BAD_OPTIONS', message, details);
}

function ranksOf(field: string, value: unknown, hosts: number): ReadonlySet<number> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || value.length > hosts) bad(`${field} must be an array of at most ${hosts} ranks`, { [field]: value });
  const out = new Set<number>();
  for (const rank of value as unknown[]) {
    if (typeof rank !== 'number' || !Number.isSafeInteger(rank) || rank < 0 || rank >= hosts) {
      bad(`${field} names rank ${String(rank)}, not a rank of this cluster (0…${hosts - 1})`, { [field]: value });
    }
    if (out.has(rank)) bad(`${field} names rank ${rank} twice`, { [field]: value });
    out.add(rank);
  }
  return out;
}

/** Every option checked; a bad one is CLUSTER_BAD_OPTIONS naming the field, never a crash further in. */
export function resolveOptions(options: ClusterOptionsExtra): ResolvedClusterOptions {
  if (typeof options !== 'object' || options === null) bad('options must be an object');
  const { seed, hosts } = options;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) bad('seed must be a non-negative safe integer', { seed });
  if (typeof hosts !== 'number' || !Number.isSafeInteger(hosts) || hosts < CLUSTER_HOSTS_MIN || hosts > CLUSTER_HOSTS_MAX) {
    bad(`hosts must be an integer in ${CLUSTER_HOSTS_MIN}…${CLUSTER_HOSTS_MAX}`, { hosts });
  }
  const accelerators = options.accelerators ?? { flavour: 'gpu', count: 1 };
  if (accelerators.flavour !== 'gpu' && accelerators.flavour !== 'trainium') bad('accelerators.flavour must be gpu or trainium', { flavour: accelerators.flavour });
  if (!Number.isSafeInteger(accelerators.count) || accelerators.count < 0 || accelerators.count > CLUSTER_DEVICES_MAX) {
    bad(`accelerators.count must be an integer in 0…${CLUSTER_DEVICES_MAX}`, { count: accelerators.count });
  }
  const defences = options.defences ?? {};
  for (const [name, value] of Object.entries(defences)) {
    if (!(DEFENCE_NAMES as readonly string[]).includes(name)) bad(`unknown defence ${JSON.stringify(name)}`);
    if (typeof value !== 'boolean') bad(`defence ${name} must be a boolean`);
  }
  const jobId = options.jobId ?? `nitro-emu-job-${seed}`;
  const jobBytes = typeof jobId === 'string' ? utf8(jobId).length : 0;
  if (typeof jobId !== 'string' || jobBytes < 1 || jobBytes > JOB_ID_BYTES_MAX) bad(`jobId must be 1…${JOB_ID_BYTES_MAX} bytes of UTF-8`, { jobId });
  const crypto = options.crypto ?? 'real';
  if (crypto !== 'real' && crypto !== 'model') bad('crypto must be real or model', { crypto });
  const epochMs = options.epochMs;
  if (epochMs !== undefined && (!Number.isSafeInteger(epochMs) || epochMs < 0)) bad('epochMs must be a non-negative integer of ms', { epochMs });
  const link = options.link ?? {};
  for (const [name, value] of Object.entries(link)) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)) bad(`link.${name} must be a positive integer`, { [name]: value });
  }
  if (link.txCounterBits !== undefined && (link.txCounterBits < 2 || link.txCounterBits > 53)) bad('link.txCounterBits must be 2…53', { txCounterBits: link.txCounterBits });
  return {
    seed,
    hosts,
    accelerators: { flavour: accelerators.flavour, count: accelerators.count },
    defences,
    worldDefences: { ...ALL_DEFENCES, ...defences },
    jobId,
    debugRanks: ranksOf('debugRanks', options.debugRanks, hosts),
    foreignImageRanks: ranksOf('foreignImageRanks', options.foreignImageRanks, hosts),
    crypto,
    epochMs,
    link,
  };
}

/** Each host's world seed: a hash of the cluster seed and the rank, so no two hosts (or clusters) share a stream. */
export function hostSeedOf(seed: number, rank: number): number {
  const digest = sha256(utf8(`nitro-emu cluster ${seed} host ${rank}`));
  // 48 bits: a safe integer, and far more than a campaign of seeds needs to stay distinct.
  return digest[0]! * 2 ** 40 + digest[1]! * 2 ** 32 + ((digest[2]! << 24) >>> 0) + (digest[3]! << 16) + (digest[4]! << 8) + digest[5]!;
}

/** The world's link switches as the secure link's own (linkPadding is a protector option, not a link defence). */
export function linkDefencesOf(d: WorldDefences): SecureLinkDefences {
  return Object.freeze({
    encrypt: d.linkEncryption,
    antiReplay: d.linkAntiReplay,
    aadBinding: d.linkAadBinding,
    peerAuthentication: d.linkPeerAttestation,
    downgradeProtection: d.linkDowngradeProtection,
    rekey: d.linkRekey,
  });
}

export interface Placement {
  readonly config: FabricConfig;
  /** Fabric host of each rank. */
  readonly hostOfRank: readonly number[];
}

/**
 * Two leaves, four spines, and ranks dealt to the leaves alternately: ring neighbours sit on different leaves, so
 * the collective's traffic crosses the spines (where a network attacker is most likely to sit).
 */
export function placeRanks(hosts: number, seed: number): Placement {
  const leaves = 2;
  const hostsPerLeaf = Math.ceil(hosts / leaves);
  const hostOfRank: number[] = [];
  for (let rank = 0; rank < hosts; rank++) hostOfRank.push((rank % leaves) * hostsPerLeaf + Math.floor(rank / leaves));
  return {
    config: { ...DEFAULT_FABRIC_CONFIG, topology: { kind: 'leaf-spine', leaves, spines: 4, hostsPerLeaf }, seed },
    hostOfRank,
  };
}
