/**
 * nitro-cli's JSON outputs (common/json_output.rs: EnclaveRunInfo, EnclaveDescribeInfo, EnclaveTerminateInfo).
 * serde prints struct fields in declaration order and skips absent options, so key order here is part of the
 * shape: a script comparing our output with nitro-cli's sees the same text.
 */

export interface EnclaveRunInfo {
  readonly EnclaveName: string;
  readonly EnclaveID: string;
  readonly ProcessID: number;
  readonly EnclaveCID: number;
  readonly NumberOfCPUs: number;
  readonly CPUIDs: readonly number[];
  readonly MemoryMiB: number;
}

export type EnclaveState = 'RUNNING' | 'TERMINATING';
export type EnclaveFlags = 'NONE' | 'DEBUG_MODE';

/** Describe's record is run's (with the name optional), then the state and the image's facts; key order is in DESCRIBE_INFO_KEYS. */
export interface EnclaveDescribeInfo extends Omit<EnclaveRunInfo, 'EnclaveName'> {
  readonly EnclaveName?: string;
  readonly State: EnclaveState;
  readonly Flags: EnclaveFlags;
  /** The image's measurements (a BTreeMap: HashAlgorithm, PCR0, PCR1, PCR2[, PCR8]), as describe-eif prints them. */
  readonly Measurements?: Readonly<Record<string, string>>;
  readonly ImageName?: string;
  readonly ImageVersion?: string;
  readonly Metadata?: unknown;
}

export interface EnclaveTerminateInfo {
  readonly EnclaveName?: string;
  readonly EnclaveID: string;
  readonly Terminated: boolean;
}

export const RUN_INFO_KEYS = ['EnclaveName', 'EnclaveID', 'ProcessID', 'EnclaveCID', 'NumberOfCPUs', 'CPUIDs', 'MemoryMiB'] as const;
export const DESCRIBE_INFO_KEYS = [...RUN_INFO_KEYS, 'State', 'Flags', 'Measurements'] as const;
export const DESCRIBE_METADATA_KEYS = ['ImageName', 'ImageVersion', 'Metadata'] as const;
export const TERMINATE_INFO_KEYS = ['EnclaveName', 'EnclaveID', 'Terminated'] as const;
