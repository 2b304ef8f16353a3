import type { EnclaveRuntime, LoadedEnclaveImage } from '../enclave/index.ts';
import type { DeliveryObserver } from '../ports/index.ts';
import type { Simulator } from '../sim/index.ts';
import type { HypervisorDefences } from './defences.ts';
import type { AddressSpace } from './memory.ts';
import type { ParentInstance } from './parent.ts';

export interface HostOptions {
  readonly sim: Simulator;
  readonly memoryMiB?: number;
  readonly region?: string;
  readonly defences?: HypervisorDefences;
  /** Called with every byte a guest receives over vsock (the observation ledger hooks in here). */
  readonly observe?: DeliveryObserver;
  /** The parent's console reader in debug mode. */
  readonly onConsole?: (enclaveId: string, line: string) => void;
  /** NSMs refuse to extend or lock a locked PCR (default true; off is PA-10's negative control). */
  readonly nsmLockEnforced?: boolean;
  /** Seed of the Nitro root when several hosts share one platform (multi-host worlds); default: the host's own. */
  readonly nitroRootSeed?: number;
}

export interface EnclaveLaunchOptions {
  readonly memoryMiB: number;
  readonly cpuCount: number;
  readonly debugMode?: boolean;
  /** 0 or absent: the first free CID from 16 up. */
  readonly cid?: number;
  readonly name?: string;
  /** False boots the enclave without running its application (tooling that only needs its NSM). */
  readonly startApplication?: boolean;
  /** Whose enclave this is, as the ledger names the principal (a co-tenant's workload is `co-tenant`). */
  readonly principal?: string;
}

/** An enclave that was terminated: its frames went back to the parent (INV-SCRUB reads them). */
export interface ReleasedEnclave {
  readonly enclaveId: string;
  readonly frames: readonly number[];
  readonly scrubbed: boolean;
}

export interface EnclaveRecord {
  readonly enclaveId: string;
  readonly moduleId: string;
  readonly name: string;
  readonly cid: number;
  readonly parent: ParentInstance;
  readonly debugMode: boolean;
  readonly memoryMiB: number;
  readonly cpuCount: number;
  /** PCR index → lowercase hex, as the NSM reports them (zeros for 0/1/2/8 in debug mode). */
  readonly pcrs: Readonly<Record<number, string>>;
  readonly image: LoadedEnclaveImage;
  readonly frames: readonly number[];
  /** The enclave's own view of its pages: what its runtime reads and writes through (harness side). */
  readonly memory: AddressSpace;
  readonly runtime: EnclaveRuntime;
  /** Settles when the application's main returned (it keeps serving afterwards) or failed. */
  readonly started: Promise<void>;
  state: 'running' | 'terminated';
}

