/**
 * Defence switches. All true builds the device as designed; each one off builds the flawed device a scenario's
 * negative control needs, so a checker can prove it sees the leak or the acceptance the defence prevents.
 */
export interface AcceleratorDefences {
  /** Off: a decrypt whose tag fails still commits the ciphertext to device memory. */
  readonly tagCheckBeforeWrite: boolean;
  /** Off: the device takes the IV from the staging buffer (iv ‖ ciphertext ‖ tag), so a replayed buffer is accepted. */
  readonly lockstepCounters: boolean;
  /** Off: work from the parent is accepted in confidential mode. */
  readonly sessionBinding: boolean;
  /** Off: mgmtRead returns plaintext and perf counters are on in confidential mode. */
  readonly memoryFirewall: boolean;
  /** Off: reset leaves device pages as they were. */
  readonly scrubOnReset: boolean;
  /** Off: the boot ROM boots any validly signed image regardless of its svn. */
  readonly antiRollbackFuse: boolean;
  /** Off: setPendingMode applies at once and the session survives it. */
  readonly modeChangeOnlyAtReset: boolean;
}

export const DEFAULT_DEFENCES: AcceleratorDefences = {
  tagCheckBeforeWrite: true,
  lockstepCounters: true,
  sessionBinding: true,
  memoryFirewall: true,
  scrubOnReset: true,
  antiRollbackFuse: true,
  modeChangeOnlyAtReset: true,
};

export function withDefences(overrides: Partial<AcceleratorDefences> | undefined): AcceleratorDefences {
  return { ...DEFAULT_DEFENCES, ...(overrides ?? {}) };
}
