/**
 * Virtual-time cost model for the host↔device bridge and the compute engine (integer ns). Pure functions: same
 * size → same time. Per transfer: fixed + bytes / bandwidth (research/gpu-cc.md §5.1 item 12), numbers from §2;
 * per kernel: flops / peak + bytes / HBM bandwidth.
 */
import { assert } from '../errors.ts';
import { type BridgeProfile, type DeviceProfile, GPU_BRIDGE } from './flavours.ts';

/** §2 row 9: pinned H2D on H100 PCIe Gen5 x16, 54.6 GB/s at 256 MiB (bytes per ns = GB/s). */
export const PCIE_PLAIN_BYTES_PER_NS = GPU_BRIDGE.plainBytesPerNs;
/** §2 row 9: a 4 KiB H2D+sync took 19.1 µs with CC off. */
export const PLAIN_FIXED_NS = GPU_BRIDGE.plainFixedNs;
/** §2 row 6: single-context CC H2D runs at 0.203× of CC-off on B300. */
export const CONFIDENTIAL_BANDWIDTH_FACTOR = GPU_BRIDGE.confidentialBandwidthFactor;
/** §2 row 6: a small confidential copy pays ~330 µs per call. */
export const CONFIDENTIAL_FIXED_NS = GPU_BRIDGE.confidentialFixedNs;
/** H100 80GB HBM3 is specified at ~3.35 TB/s; on-device copies never cross the bridge. */
export const HBM_BYTES_PER_NS = 3350;

// Sizes come from the emulator's own descriptors, already validated, so a bad one is a programmer error.
function checkBytes(bytes: number): void {
  assert(Number.isSafeInteger(bytes) && bytes >= 0, `bytes must be a non-negative integer: ${bytes}`);
}

/** One plain (CC off) host→device copy. */
export function plainCopyNs(bytes: number, bridge: BridgeProfile = GPU_BRIDGE): number {
  checkBytes(bytes);
  return bridge.plainFixedNs + Math.ceil(bytes / bridge.plainBytesPerNs);
}

/** One confidential copy through an encrypted bounce buffer (CPU AES-GCM bound, §2 "how to read it"). */
export function confidentialCopyNs(bytes: number, bridge: BridgeProfile = GPU_BRIDGE): number {
  checkBytes(bytes);
  return bridge.confidentialFixedNs + Math.ceil(bytes / (bridge.plainBytesPerNs * bridge.confidentialBandwidthFactor));
}

/** A copy inside protected memory: HBM bandwidth, no crypto (compute inside the package runs at ~1.0×). */
export function hbmCopyNs(bytes: number, hbmBytesPerNs: number = HBM_BYTES_PER_NS): number {
  checkBytes(bytes);
  return Math.ceil(bytes / hbmBytesPerNs);
}

/**
 * One kernel: time at peak compute plus time to move its bytes through HBM. Adding (not max) is the pessimistic
 * roofline; confidential mode costs nothing extra here (§2 row 6: matmul 0.998×).
 */
export function computeNs(profile: DeviceProfile, cost: { readonly flops: number; readonly bytes: number }): number {
  assert(Number.isFinite(cost.flops) && cost.flops >= 0, `flops must be non-negative: ${cost.flops}`);
  checkBytes(cost.bytes);
  return Math.ceil(cost.flops / profile.computeFlopsPerNs) + Math.ceil(cost.bytes / profile.hbmBytesPerNs);
}
