/**
 * The hypervisor's defence switches. Each is on in a Nitro-style host; turning one off builds the
 * conventional hypervisor that negative controls need (DESIGN.md, canaries and negative controls).
 */
export interface HypervisorDefences {
  /** Enclave pages leave the parent's second-level page table. Off: the parent still maps them. */
  readonly enclaveMemoryIsolation: boolean;
  /** Pages are zeroed before they return to the parent. Off: leftovers stay readable. */
  readonly scrubOnRelease: boolean;
  /**
   * The operator API has no call that returns guest memory or vCPU state, no snapshot of a running
   * enclave and no shell. Off: a conventional `dumpGuestMemory`, `readVcpuState`, `snapshotInstance`
   * and `openShell` exist (OP-01, OP-02, OP-04, OP-05).
   */
  readonly closedOperatorApi: boolean;
  /**
   * A guest's second-level page table maps only its own frames. Off: a conventional hypervisor's bug
   * maps a window onto all of host memory above every guest's RAM, so a co-tenant reaches others' frames (CT-01).
   */
  readonly guestMemoryIsolation: boolean;
  /**
   * Operator actions are in the audit log before they act, and no API edits the log. Off: they act
   * unaudited, and the operator may rewrite the log (OP-06). The host's effects journal records either way.
   */
  readonly auditBeforeEffect: boolean;
  /** Only firmware signed by the platform's firmware key boots (measured boot). Off: an operator's unsigned build boots (OP-07). */
  readonly signedFirmwareOnly: boolean;
  /** A killed or crashed enclave leaves no dump outside it. Off: a core dump of its pages lands on the parent's disk (OP-11). */
  readonly noCrashDumps: boolean;
  /** The IOMMU confines an assigned device's DMA to its instance's own frames. Off: a device (or an operator-programmed DMA engine) reads any host frame, enclave pages included (OP-03). */
  readonly deviceIommu: boolean;
  /** A released accelerator is reset (every page scrubbed, keys wiped) before anyone can reassign it. Off: the next tenant gets it as it was (CT-03, OP-10). */
  readonly deviceResetOnReassign: boolean;
}

export const NITRO_DEFENCES: HypervisorDefences = Object.freeze({
  enclaveMemoryIsolation: true,
  scrubOnRelease: true,
  closedOperatorApi: true,
  guestMemoryIsolation: true,
  auditBeforeEffect: true,
  signedFirmwareOnly: true,
  noCrashDumps: true,
  deviceIommu: true,
  deviceResetOnReassign: true,
});
