/**
 * The hypervisor's defence switches. Each is on in a Nitro-style host; turning one off builds the
 * conventional hypervisor that negative controls need (DESIGN.md, canaries and negative controls).
 */
export interface HypervisorDefences {
  /** Enclave pages leave the parent's second-level page table. Off: the parent still maps them. */
  readonly enclaveMemoryIsolation: boolean;
  /** Pages are zeroed before they return to the parent. Off: leftovers stay readable. */
  readonly scrubOnRelease: boolean;
  /** The operator API has no call that returns guest memory. Off: a conventional `dumpGuestMemory` exists. */
  readonly closedOperatorApi: boolean;
}

export const NITRO_DEFENCES: HypervisorDefences = Object.freeze({
  enclaveMemoryIsolation: true,
  scrubOnRelease: true,
  closedOperatorApi: true,
});
