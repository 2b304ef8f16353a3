// CONTRACT: the device's ports. Both flavours implement AcceleratorDevice; the hypervisor, the enclave driver and
// the scenarios code against these types only.
import type { KernelCall } from './kernels/index.ts';

export type AcceleratorFlavour = 'gpu' | 'trainium';

/**
 * How the enclave learns what the device is. `spdm-direct`: NVIDIA's published model, the enclave's driver attests
 * the device itself over SPDM. `platform-mediated-assumed`: the Nitro controller measures the device and vouches for
 * it to the enclave; AWS has not published such a design for Trainium, so every output labels it as assumed.
 */
export type TrustModel = 'spdm-direct' | 'platform-mediated-assumed';

export type DeviceMode = 'off' | 'confidential' | 'devtools';

/** Who rings a doorbell: the binding gives the session to the enclave; the parent holds only the PCIe function. */
export type Principal = 'enclave' | 'parent';

/** A vendor-signed firmware image. The boot ROM refuses a bad signature or svn below the anti-rollback fuse. */
export interface FirmwareImage {
  readonly name: string;
  readonly version: string;
  readonly svn: number;
  readonly code: Uint8Array;
  /** Vendor's P-384 signature (raw r‖s) over SHA-384(name ‖ version ‖ svn ‖ code), see the firmware module. */
  readonly signature: Uint8Array;
}

export interface FirmwareStatus {
  readonly version: string;
  readonly svn: number;
  /** SHA-384 of the running image, hex: the FWID in the alias certificate and the mutable-firmware measurement. */
  readonly digestHex: string;
}

interface DescriptorBase {
  readonly id: number;
}

/** Staging (host-visible) ↔ device memory. decrypt/encrypt in confidential mode; copy-* only with mode off. */
export interface TransferDescriptor extends DescriptorBase {
  readonly op: 'decrypt' | 'encrypt' | 'copy-in' | 'copy-out';
  readonly stagingSlot: number;
  readonly deviceAddress: number;
  readonly length: number;
}

export interface ComputeDescriptor extends DescriptorBase {
  readonly op: 'compute';
  readonly call: KernelCall;
}

/**
 * Device → device over the host-visible peer link: `peer-send` seals device memory with the link key shared with
 * `peerDeviceId` into link slot `linkSlot`; `peer-recv` opens it into device memory. The link key reaches a device
 * only through its attested session (SET_PEER_KEY), so an unattested peer never holds one (DEV-06).
 */
export interface PeerDescriptor extends DescriptorBase {
  readonly op: 'peer-send' | 'peer-recv';
  readonly peerDeviceId: string;
  readonly linkSlot: number;
  readonly deviceAddress: number;
  readonly length: number;
}

export type Descriptor = TransferDescriptor | ComputeDescriptor | PeerDescriptor;

export interface Completion {
  readonly id: number;
  readonly ok: boolean;
  readonly code?: string;
  /** Virtual time the operation took on the device (cost model), ns. */
  readonly busyNs: number;
}

/** What the device reports happening (FIREWALL_BLOCK, SCRUB_DONE, BOOT_REFUSED, TAG_MISMATCH…), for traces. */
export interface DeviceEvent {
  readonly kind: string;
  readonly fields: Readonly<Record<string, string | number | boolean>>;
}

export interface ResetReport {
  readonly scrubbedPages: number;
  /** Read-back after scrub found only zeros (as the Neuron scrub verifies). */
  readonly verified: boolean;
  readonly mode: DeviceMode;
  readonly epoch: number;
}

/** Host-visible buffers: staging slots (bounce buffers) and peer-link slots. Anyone on the host can read and write. */
export interface HostVisibleSlots {
  readonly slotsMax: number;
  readonly slotBytesMax: number;
  read(slot: number): Uint8Array;
  /** `origin` says who wrote and whether sealed, for message traces; a write without one is the host's own. */
  write(slot: number, bytes: Uint8Array, origin?: { readonly writer: 'driver' | 'device'; readonly sealed: boolean }): void;
  /** Every write as it lands (these slots are host memory, so the host's owner sees them). */
  watch?(watcher: (slot: number, bytes: Uint8Array) => void): void;
}

/**
 * Secured commands the enclave sends inside the SPDM session (VENDOR_DEFINED_REQUEST payloads). Encoded by
 * `encodeDeviceCommand`/`decodeDeviceCommand` in the device module.
 *  - SET_READY: opens the ready gate for this session.
 *  - SET_PEER_KEY: installs the link secret shared with one peer (both directions derived from it).
 *  - GET_STATUS: mode, epoch, ready, firmware.
 */
export type DeviceCommand =
  | { readonly command: 'SET_READY' }
  | { readonly command: 'SET_PEER_KEY'; readonly peerDeviceId: string; readonly linkSecret: Uint8Array }
  | { readonly command: 'GET_STATUS' };

export interface AcceleratorDevice {
  readonly flavour: AcceleratorFlavour;
  readonly trustModel: TrustModel;
  /** Hex serial of the device identity certificate. */
  readonly deviceId: string;
  readonly staging: HostVisibleSlots;
  readonly capacityBytes: number;
  readonly mode: DeviceMode;
  readonly pendingMode: DeviceMode;
  readonly epoch: number;
  readonly isReady: boolean;
  firmware(): FirmwareStatus;

  // Management plane: what the host (hypervisor, operator, parent with the PCIe function) can do.
  setPendingMode(mode: DeviceMode): void;
  /** Stages an image for the next reset; the boot ROM checks it then (DEV_BOOT_REFUSED: the old image keeps running). */
  stageFirmware(image: FirmwareImage): void;
  /** FLR: scrub every page, wipe keys, end sessions, bump epoch, apply pending mode and firmware, NOT_READY. */
  reset(): ResetReport;
  /** BAR read of device memory: all-ones (and a FIREWALL_BLOCK event) in confidential mode; plaintext otherwise. */
  mgmtRead(address: number, length: number): Uint8Array;
  /** Perf counters: null unless devtools (or off). */
  perfCounters(): Readonly<Record<string, number>> | null;

  /** SPDM mailbox; bytes in, bytes out (the transport is relayed by the host). */
  spdm(request: Uint8Array): Uint8Array;

  // Data path.
  submit(principal: Principal, descriptor: Descriptor): void;
  doorbell(principal: Principal): number;
  pollCompletions(): Completion[];
  /** The peer-link slots this device sends on and receives from (host-visible, tappable). */
  readonly link: HostVisibleSlots;
  /** Total busy virtual time, ns. */
  readonly busyNs: number;
  drainEvents(): DeviceEvent[];
}
