// CONTRACT: signatures are fixed; the implementation is in the files beside this entry.
import type { RandomSource } from '../../crypto/index.ts';
import type { SpdmTransport } from '../spdm/index.ts';
import type { AcceleratorFlavour, Completion, Descriptor, DeviceMode, HostVisibleSlots, TrustModel } from '../types.ts';
import type { DriverDefences } from './defences.ts';
import { createDriver } from './driver.ts';

export { type DriverDefences, DEFAULT_DRIVER_DEFENCES } from './defences.ts';
export { type DeviceClaims, judgeClaims } from './claims.ts';
export { type EvidenceContext, type JudgedEvidence, judgeSpdmEvidence } from './verify-spdm.ts';
export { judgeEndorsement } from './verify-endorsement.ts';
export { DEFAULT_CHUNK_BYTES } from './bounce.ts';

/**
 * The enclave side of an assigned accelerator: what the emulated guest driver (inside the enclave's trust domain)
 * does before and while it uses a device. It attests the device (directly over SPDM for the GPU flavour; through the
 * Nitro controller's endorsement for the Trainium flavour, an ASSUMED design), runs KEY_EXCHANGE/FINISH, opens the
 * ready gate, streams weights and inputs through encrypted bounce buffers, runs the forward pass on the device(s),
 * reads results back the same way, and on detach ends the session.
 */

/** What the hypervisor hands the enclave for one assigned device. Every call goes to the device as 'enclave'. */
export interface EnclaveDevicePort {
  readonly deviceId: string;
  readonly flavour: AcceleratorFlavour;
  readonly trustModel: TrustModel;
  /** SPDM mailbox, relayed by the host (which may read or rewrite it). */
  readonly spdm: SpdmTransport;
  readonly staging: HostVisibleSlots;
  submit(descriptor: Descriptor): void;
  doorbell(): number;
  poll(): Completion[];
  /**
   * Platform-mediated flavour only: the Nitro controller's COSE_Sign1 (ES384, chained to the Nitro root) over the
   * device's verified evidence and the enclave's nonce. Absent for spdm-direct devices.
   */
  endorsement?(nonce: Uint8Array): Uint8Array;
}

/** Reference values the enclave's image pins (a RIM stand-in): judged before any key reaches the device. */
export interface DeviceTrustPolicy {
  /** DER of the pinned vendor roots, per flavour. */
  readonly vendorRootsDer: Readonly<Partial<Record<AcceleratorFlavour, Uint8Array>>>;
  /** DER of the Nitro root (platform-mediated endorsements chain to it). */
  readonly nitroRootDer?: Uint8Array;
  readonly minSvn: number;
  readonly requiredMode: DeviceMode;
  /** Measurement index → SHA-384 hex, per flavour; every listed index must match. */
  readonly referenceMeasurements: Readonly<Partial<Record<AcceleratorFlavour, ReadonlyMap<number, string>>>>;
  /** Time at which certificates must be valid, ms since epoch (the enclave's trusted time). */
  readonly atMs: number;
}

export interface DeviceVerdict {
  readonly deviceId: string;
  readonly flavour: AcceleratorFlavour;
  readonly trustModel: TrustModel;
  readonly mode: DeviceMode;
  readonly svn: number;
  readonly firmwareDigestHex: string;
  /** 'assumed' for platform-mediated devices, so no output presents it as AWS's published design. */
  readonly label: 'published' | 'assumed';
}

export interface AttachedDevice {
  readonly port: EnclaveDevicePort;
  readonly verdict: DeviceVerdict;
}

export type DataPath = 'confidential' | 'plain';

export interface DriverOptions {
  readonly random: RandomSource;
  readonly policy: DeviceTrustPolicy;
  readonly path: DataPath;
  /** Bytes per staging transfer (≤ the slot size minus the 16-byte tag). */
  readonly chunkBytes?: number;
  readonly onEvent?: (kind: string, fields: Readonly<Record<string, string | number | boolean>>) => void;
  /** All on by default; a scenario turns one off for its negative control. */
  readonly defences?: Partial<DriverDefences>;
}

export interface LoadedModel {
  readonly devices: readonly AttachedDevice[];
  readonly parameterCount: number;
  readonly weightBytes: number;
}

export interface GenerateResult {
  readonly tokens: readonly number[];
  /** Device busy virtual time this call cost, summed over devices (they run in a pipeline, one after another). */
  readonly deviceNs: number;
}

export interface AcceleratorDriver {
  /**
   * Confidential path: evidence → chain to the pinned root → signature → nonce → measurements, mode, svn → key
   * exchange → SET_READY. Typed errors (DEVICE_*), nothing sent to a device that failed. Plain path: no evidence.
   */
  attach(port: EnclaveDevicePort): AttachedDevice;
  /** Issues link secrets to every pair of attached devices over their sessions (DEV-06: all attested first). */
  formGroup(devices: readonly AttachedDevice[]): void;
  /** Streams a NETM file to the devices, layers split evenly across them in pipeline order. */
  loadModel(devices: readonly AttachedDevice[], weights: Uint8Array): LoadedModel;
  generate(model: LoadedModel, promptTokens: readonly number[], newTokens: number): GenerateResult;
  detach(device: AttachedDevice): void;
}

export function createAcceleratorDriver(options: DriverOptions): AcceleratorDriver {
  return createDriver(options);
}
