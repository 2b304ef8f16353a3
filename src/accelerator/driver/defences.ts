/**
 * The driver's own defences. Every one is on by default; a scenario turns one off to run the negative control and
 * show the attack it stops (DESIGN.md §3: a defence whose absence nobody can see is not tested).
 */
export interface DriverDefences {
  /** DEV-01: the device's certificate chain (or the Nitro controller's endorsement chain) must reach the pinned root. */
  readonly verifyDeviceChain: boolean;
  /** DEV-01/DEV-04: every pinned reference measurement must match, and the DICE FWID must equal the firmware one. */
  readonly checkMeasurements: boolean;
  /** DEV-03: the device must report `policy.requiredMode` (devtools and off are refused). */
  readonly requireConfidentialMode: boolean;
  /** DEV-02: the reported security version must reach `policy.minSvn`. */
  readonly enforceMinSvn: boolean;
  /** DEV-05: KEY_EXCHANGE only with the key that was attested (off: whatever key the responder shows now). */
  readonly bindSessionToAttestedKey: boolean;
  /** DEV-06: link secrets only to devices this driver attested (off: any port in the group gets one). */
  readonly attestPeersBeforeGroupKey: boolean;
}

export const DEFAULT_DRIVER_DEFENCES: DriverDefences = {
  verifyDeviceChain: true,
  checkMeasurements: true,
  requireConfidentialMode: true,
  enforceMinSvn: true,
  bindSessionToAttestedKey: true,
  attestPeersBeforeGroupKey: true,
};

export function resolveDefences(partial: Partial<DriverDefences> | undefined): DriverDefences {
  return { ...DEFAULT_DRIVER_DEFENCES, ...(partial ?? {}) };
}

export type DriverEventSink = (kind: string, fields: Readonly<Record<string, string | number | boolean>>) => void;
