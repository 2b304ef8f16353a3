// One World per host, all under one Nitro root, and the launch of each host's enclave: the owner deploys, the
// parent launches (the approved image, a co-tenant's image, or the approved one in debug mode), the enclave gets
// its key from its host's KMS and attests its accelerators.
import { concatBytes, fromHex, toHex, utf8 } from '../crypto/index.ts';
import { enclaveImageForAppDefences, loadEnclaveImage, pickAppDefences } from '../enclave/index.ts';
import type { EnclaveRecord } from '../hypervisor/index.ts';
import { World, attestedKeyPolicy, deployModel, launchEnclave, unattestedKeyPolicy, type Deployment } from '../world/index.ts';
import { assert } from '../errors.ts';
import type { ClusterMember } from './types.ts';
import { hostSeedOf, type ResolvedClusterOptions } from './options.ts';

/** One rank's host as the cluster keeps it (ClusterMember is its read-only face). */
export class HostState implements ClusterMember {
  readonly rank: number;
  readonly host: number;
  readonly world: World;
  readonly debugMode: boolean;
  readonly foreign: boolean;
  #enclave: EnclaveRecord | undefined;
  #deployment: Deployment | undefined;
  #ready = false;
  #failure: string | undefined;

  constructor(rank: number, host: number, world: World, debugMode: boolean, foreign: boolean) {
    this.rank = rank;
    this.host = host;
    this.world = world;
    this.debugMode = debugMode;
    this.foreign = foreign;
  }

  get enclave(): EnclaveRecord | undefined {
    return this.#enclave;
  }

  get deployment(): Deployment | undefined {
    return this.#deployment;
  }

  /** The enclave got its key and serves (a debug-mode or refused enclave runs but holds no model). */
  get ready(): boolean {
    return this.#ready;
  }

  get failure(): string | undefined {
    return this.#failure;
  }

  launched(deployment: Deployment, enclave: EnclaveRecord, ready: boolean, failure: string | undefined): void {
    assert(this.#enclave === undefined, `rank ${this.rank} launched twice`);
    this.#deployment = deployment;
    this.#enclave = enclave;
    this.#ready = ready;
    this.#failure = failure;
  }
}

export function createHosts(options: ResolvedClusterOptions, hostOfRank: readonly number[]): HostState[] {
  const hosts: HostState[] = [];
  for (let rank = 0; rank < options.hosts; rank++) {
    const debugMode = options.debugRanks.has(rank);
    const world = new World({
      seed: hostSeedOf(options.seed, rank),
      platformSeed: options.seed,
      defences: options.defences,
      debugMode,
      ...(options.epochMs === undefined ? {} : { epochMs: options.epochMs }),
      ...(options.accelerators.count > 0 ? { accelerators: { flavour: options.accelerators.flavour, count: options.accelerators.count } } : {}),
    });
    hosts.push(new HostState(rank, hostOfRank[rank]!, world, debugMode, options.foreignImageRanks.has(rank)));
  }
  return hosts;
}

/**
 * A co-tenant's enclave: the same app built by someone else (one comment more in main.js), so it works but its PCR0
 * is not the one the job approved. Its own owner approves it in its own key policy.
 */
export function foreignImageOf(world: World): Uint8Array {
  const approved = loadEnclaveImage(world.approvedImage);
  const main = approved.appFiles.get('main.js');
  const policy = approved.appFiles.get('device-policy.json');
  assert(main !== undefined && policy !== undefined, 'the approved image has main.js and device-policy.json');
  const tagged = concatBytes(main, utf8('\n// a co-tenant build of the same app.\n'));
  return enclaveImageForAppDefences(pickAppDefences(world.defences), [
    { path: 'main.js', data: tagged },
    { path: 'device-policy.json', data: policy },
  ]);
}

/** DESIGN.md §1 steps 1–8 on one host, in that host's own virtual time. */
export async function launchHost(state: HostState): Promise<void> {
  const { world } = state;
  await world.sim.runUntil(
    (async () => {
      let image: Uint8Array | undefined;
      let policy: object | undefined;
      if (state.foreign) {
        image = foreignImageOf(world);
        const pcr0 = toHex(loadEnclaveImage(image).measurements.pcr0);
        policy = world.defences.attestedKeyPolicy ? attestedKeyPolicy(world.arns.owner, world.arns.parentRole, pcr0) : unattestedKeyPolicy(world.arns.owner, world.arns.parentRole);
      }
      const deployment = await deployModel(world, policy === undefined ? {} : { policy });
      const launched = await launchEnclave(world, image === undefined ? {} : { image });
      state.launched(deployment, launched.record, launched.ready, launched.failure);
    })(),
  );
}

/** Every world's clock moved to the latest one's: the hosts' clocks agree before they judge each other's documents. */
export async function alignClocks(hosts: readonly HostState[]): Promise<void> {
  const latestNs = Math.max(...hosts.map((h) => h.world.sim.nowNs));
  for (const h of hosts) {
    const behindNs = latestNs - h.world.sim.nowNs;
    if (behindNs > 0) await h.world.sim.runUntil(h.world.sim.sleep(behindNs, 'cluster clock alignment'));
  }
}

/** The job's PCR0 allowlist: the image every host's owner approves (a world's approved image never depends on its launch image). */
export function approvedPcr0Of(hosts: readonly HostState[]): Uint8Array {
  const first = hosts[0]!.world.approvedPcr0;
  assert(hosts.every((h) => h.world.approvedPcr0 === first), 'every host approves the same image');
  return fromHex(first);
}
