// CONTRACT: a multi-host world. N hosts, each a World with its own hypervisor, enclave, NSM and attested
// accelerators, all under one Nitro root (WorldOptions.platformSeed), joined by one EFA fabric (src/efa). The
// enclaves attest each other over the fabric (each link's handshake carries the enclave's own NSM document) and
// run a collective whose packets are sealed with the keys of those handshakes; the parents and the fabric carry
// ciphertext only. Signatures here are fixed; implementations may add fields and exports.
import type { AcceleratorFlavour } from '../accelerator/index.ts';
import type { EnclaveRecord } from '../hypervisor/index.ts';
import type { HostId, LinkFault, LinkInfo, Packet, Ps } from '../efa/index.ts';
import type { World, WorldDefences } from '../world/index.ts';

export const CLUSTER_HOSTS_MIN = 2;
export const CLUSTER_HOSTS_MAX = 8;

export interface ClusterOptions {
  readonly seed: number;
  /** Number of hosts (CLUSTER_HOSTS_MIN … CLUSTER_HOSTS_MAX); rank r runs on host r. */
  readonly hosts: number;
  /** Accelerators per host (default gpu × 1); `count: 0` runs the collective on the enclaves' CPU results. */
  readonly accelerators?: { readonly flavour: AcceleratorFlavour; readonly count: number };
  /** Applied to every host's world (link* defences drive the secure links; see WorldDefences). */
  readonly defences?: Partial<WorldDefences>;
  /** The collective's job id, bound into every handshake and every packet's AAD. */
  readonly jobId?: string;
  /** Ranks whose enclave launches in debug mode (CT-05). */
  readonly debugRanks?: readonly number[];
  /** Ranks that run another image than the approved one (CT-04: a co-tenant's own enclave). */
  readonly foreignImageRanks?: readonly number[];
  /** `model` charges encryption in virtual time without calling AES (virtual-time results are identical). */
  readonly crypto?: 'real' | 'model';
}

/** One rank: its host's world, its fabric address and (after launch) its enclave. */
export interface ClusterMember {
  readonly rank: number;
  readonly host: HostId;
  readonly world: World;
  readonly enclave: EnclaveRecord | undefined;
}

/** Where the network attacker stands: taps and interposers on fabric links. Every byte it sees is ledgered under 'network'. */
export interface NetworkHandle {
  links(): readonly LinkInfo[];
  /** The link from rank's host to its leaf switch (and back: `direction: 'down'`). */
  uplinkOf(rank: number, direction?: 'up' | 'down'): number;
  /** Passive capture (NET-01, NET-10). */
  tap(linkId: number, observer: (packet: Packet, atPs: Ps) => void): void;
  /**
   * Active man in the middle on a link: every packet crossing it goes through `fn`, which returns what continues
   * (nothing: drop; a changed copy: modify; several: duplicate or replay). NET-02/03/04/05/09.
   */
  interpose(linkId: number, fn: (packet: Packet, atPs: Ps) => readonly Packet[]): void;
  /** Sends a packet of its own making from a host's port into the fabric (NET-06). */
  inject(packet: Packet, atPs?: Ps): void;
  fault(linkId: number, atPs: Ps, fault: LinkFault): void;
  /** Rewrites handshake messages between two ranks as they cross the fabric (NET-07). */
  interposeHandshake(fn: (message: Uint8Array, step: 'clientHello' | 'serverHello' | 'finished', from: number, to: number) => Uint8Array): void;
}

/** How the attested mesh formed: one entry per pair of ranks. */
export interface MeshOutcome {
  readonly ok: boolean;
  readonly links: readonly { readonly a: number; readonly b: number; readonly ok: boolean; readonly code?: string; readonly suite?: string; readonly encrypted?: boolean }[];
}

export interface AllReduceOutcome {
  /** Every rank's result (equal to each other when ok). */
  readonly outputs: readonly Float32Array[];
  /** The single-host reference over the same inputs (ringAllReduceReference). */
  readonly reference: Float32Array;
  /** Every rank's output equals the reference bit for bit. */
  readonly bitExact: boolean;
  /** Typed error completions seen by any rank (code per message); empty when ok. */
  readonly errors: readonly { readonly rank: number; readonly code: string }[];
  readonly durationPs: Ps;
  /** The secure links' counters summed over hosts (sealed, opened, rejected by reason, rekeys…). */
  readonly linkStats: Readonly<Record<string, number>>;
}

export interface ClusterReport {
  readonly hosts: number;
  readonly jobId: string;
  readonly mesh: MeshOutcome;
  /** SHA-256 of each rank's local input tensor, hex. */
  readonly inputSha256: readonly string[];
  readonly allReduce: AllReduceOutcome;
  /** SHA-256 of the reduced tensor, hex (the same on every rank when bitExact). */
  readonly outputSha256: string;
  /** Plaintext canaries found in what the parents and the network saw (must be empty). */
  readonly leaks: readonly string[];
}

export interface Cluster {
  readonly options: ClusterOptions;
  readonly members: readonly ClusterMember[];
  readonly jobId: string;
  readonly network: NetworkHandle;
  /** Every host: the owner deploys, the parent launches the enclave, which gets its key and attests its devices. */
  launch(): Promise<void>;
  /** Each rank's enclave computes its local tensor on its attested devices (or CPU). */
  computeLocal(): Promise<Float32Array[]>;
  /** Every pair of ranks runs the attested handshake over the fabric; a refusal leaves that pair without keys. */
  formMesh(): MeshOutcome;
  /** Ring all-reduce (sum) of the inputs over the encrypted fabric, compared with the single-host reference. */
  allReduce(inputs: readonly Float32Array[]): AllReduceOutcome;
  /** launch → computeLocal → formMesh → allReduce, with narration for the demo. */
  run(onStep?: (title: string, detail: string) => void): Promise<ClusterReport>;
}
