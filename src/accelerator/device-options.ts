import type { RandomSource } from '../crypto/index.ts';
import type { AcceleratorDefences } from './defences.ts';
import type { LockstepLimits } from './lockstep.ts';
import type { AcceleratorFlavour, DeviceMode, FirmwareImage } from './types.ts';
import type { Vendor } from './vendor.ts';

export interface AcceleratorDeviceOptions {
  readonly vendor: Vendor;
  readonly flavour: AcceleratorFlavour;
  readonly random: RandomSource;
  /** Position on the host (PCIe slot order); shows in events. */
  readonly index: number;
  /** Device memory; sparse, so the default (the product's full HBM) costs only the pages touched. */
  readonly capacityBytes?: number;
  readonly defences?: Partial<AcceleratorDefences>;
  /** Mode at power-on (the persisted mode register). Default 'confidential'. */
  readonly mode?: DeviceMode;
  /** Firmware installed at the factory. Default: the vendor's current release. */
  readonly firmware?: FirmwareImage;
  /** Channel limits; the enclave driver must use the same (DEFAULT_LIMITS unless a test shrinks them). */
  readonly limits?: LockstepLimits;
  readonly ringSlotsMax?: number;
  readonly stagingSlotsMax?: number;
  readonly linkSlotsMax?: number;
  /** Largest plaintext per transfer; a staging or link slot holds it plus the 16-byte tag (plus the IV on the flawed wire-IV device). */
  readonly transferBytesMax?: number;
}

export const DEFAULT_RING_SLOTS = 64;
export const DEFAULT_STAGING_SLOTS = 16;
export const DEFAULT_LINK_SLOTS = 16;
export const DEFAULT_TRANSFER_BYTES_MAX = 8 << 20;
export const MGMT_READ_BYTES_MAX = 1 << 20;
/** A secured SPDM message is at most 6 + 0xffff bytes plus the frame byte; anything longer is refused unread. */
export const SPDM_MESSAGE_BYTES_MAX = 1 << 17;
export const MODES: readonly DeviceMode[] = ['off', 'confidential', 'devtools'];
