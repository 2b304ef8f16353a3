import type { AcceleratorFlavour, TrustModel } from './types.ts';

/**
 * One profile type for both device flavours: names, memory, compute and bridge numbers. Every number says which
 * research row (research/gpu-cc.md) or public datasheet it comes from; the Trainium trust model is an ASSUMED
 * design (AWS has published none), and its description says so.
 */
export interface BridgeProfile {
  /** Plain (mode off) host↔device bandwidth, bytes per ns (= GB/s). */
  readonly plainBytesPerNs: number;
  /** Fixed cost of one plain copy call, ns. */
  readonly plainFixedNs: number;
  /** Confidential bandwidth as a fraction of plain (encrypted bounce buffers). */
  readonly confidentialBandwidthFactor: number;
  /** Fixed cost of one confidential copy call, ns. */
  readonly confidentialFixedNs: number;
}

export interface DeviceProfile {
  readonly flavour: AcceleratorFlavour;
  readonly trustModel: TrustModel;
  /** Human-readable; the platform-mediated one says "assumed". */
  readonly description: string;
  readonly vendor: string;
  /** Goes into the vendor CA and device names ("GH100"-like, "TRN2"-like). */
  readonly product: string;
  readonly firmwareName: string;
  /** Real device memory; device memory is sparse, so a full-size default costs only the pages touched. */
  readonly hbmBytes: number;
  readonly hbmBytesPerNs: number;
  /** Dense peak of the device's matrix engines, FLOP per ns (= TFLOP/s × 1000). */
  readonly computeFlopsPerNs: number;
  /** Device↔device link bandwidth, bytes per ns. */
  readonly peerLinkBytesPerNs: number;
  readonly bridge: BridgeProfile;
}

const GiB = 1024 ** 3;

/** research/gpu-cc.md §2 rows 6 and 9 (H100 PCIe Gen5 x16 plain; B300 single-context CC ratio and fixed cost). */
export const GPU_BRIDGE: BridgeProfile = {
  plainBytesPerNs: 54.6, // §2 row 9: pinned H2D 54.6 GB/s at 256 MiB
  plainFixedNs: 19_100, // §2 row 9: 4 KiB H2D + sync 19.1 µs
  confidentialBandwidthFactor: 0.203, // §2 row 6: single-context CC H2D 0.203× of CC-off
  confidentialFixedNs: 330_000, // §2 row 6: ~330 µs per small confidential copy
};

export const GPU_PROFILE: DeviceProfile = {
  flavour: 'gpu',
  trustModel: 'spdm-direct',
  description: 'emulated H100-like GPU; the enclave attests it directly over SPDM (NVIDIA\'s published model)',
  vendor: 'nitro-emu GPU vendor (emulated)',
  product: 'GH100',
  firmwareName: 'gsp-fmc',
  hbmBytes: 80 * GiB, // §2 row 9: H100 80GB HBM3
  hbmBytesPerNs: 3350, // H100 SXM5 80GB datasheet: 3.35 TB/s HBM3
  computeFlopsPerNs: 989_000, // H100 SXM5 datasheet: ~989 TFLOP/s dense BF16; §2 row 6: CC compute ≈ 1.0×
  peerLinkBytesPerNs: 510, // §2 row 6: NVLink P2P 510 GB/s measured inside a CVM (B300)
  bridge: GPU_BRIDGE,
};

export const TRAINIUM_PROFILE: DeviceProfile = {
  flavour: 'trainium',
  trustModel: 'platform-mediated-assumed',
  description:
    'emulated Trainium2-like device; trust model ASSUMED: the Nitro controller measures the device and vouches ' +
    'for it (AWS has published no device-level attestation design for Trainium, research/gpu-cc.md §4.3)',
  vendor: 'nitro-emu Trainium vendor (emulated)',
  product: 'TRN2',
  firmwareName: 'neuron-fw',
  hbmBytes: 96 * GiB, // §4.1: Trainium2, 96 GiB HBM (4 stacks)
  hbmBytesPerNs: 2900, // §4.1: "about 3 TB/s"; AWS Trn2 page: 2.9 TB/s
  computeFlopsPerNs: 632_000, // §4.1: 8 × NeuronCore-v3 at 79 TF BF16 each
  peerLinkBytesPerNs: 510, // no published NeuronLink-v3 rate in the notes: the GPU's §2 row 6 figure, assumed [inf]
  // No published Trainium CC bridge numbers: the same PCIe Gen5 bridge and CC ratio as the GPU, assumed [inf].
  bridge: GPU_BRIDGE,
};

export function deviceProfile(flavour: AcceleratorFlavour): DeviceProfile {
  return flavour === 'gpu' ? GPU_PROFILE : TRAINIUM_PROFILE;
}
