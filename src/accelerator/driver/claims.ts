import { toHex } from '../../crypto/index.ts';
import { EmuError } from '../../errors.ts';
import type { AcceleratorFlavour, DeviceMode } from '../types.ts';
import type { DriverDefences, DriverEventSink } from './defences.ts';
import type { DeviceTrustPolicy } from './index.ts';

/**
 * What the evidence says about the device, once its signature and freshness are known good; both trust models
 * (SPDM report + DICE alias certificate, or the controller's endorsement) reduce to this before the policy judges it.
 */
export interface DeviceClaims {
  readonly deviceId: string;
  readonly flavour: AcceleratorFlavour;
  readonly mode: DeviceMode | undefined;
  readonly svn: number | undefined;
  /** FWID the firmware layer vouches for (DICE TcbInfo or the endorsement's fwid), hex. */
  readonly fwidHex: string | undefined;
  /** The mutable-firmware measurement, hex (what the FWID must equal). */
  readonly firmwareMeasurementHex: string | undefined;
  /** Every signed measurement, index → SHA-384 hex. */
  readonly measurements: ReadonlyMap<number, string>;
}

function reject(code: string, message: string, details: Record<string, unknown>): never {
  throw new EmuError(code, message, details);
}

/**
 * The policy on verified claims: mode, then svn, then every pinned measurement and the FWID. Mode and svn come
 * first so a devtools or rolled-back device gets the specific refusal even when a pinned measurement (the mode
 * register, the firmware digest) would also catch it. Each check is skipped only when its defence is off.
 */
export function judgeClaims(
  claims: DeviceClaims,
  policy: DeviceTrustPolicy,
  defences: DriverDefences,
  emit: DriverEventSink,
): void {
  const deviceId = claims.deviceId;
  if (defences.requireConfidentialMode && claims.mode !== policy.requiredMode) {
    reject('DEVICE_MODE_REJECTED', `the device reports mode ${claims.mode ?? 'unknown'}, the policy requires ${policy.requiredMode}`, {
      deviceId, mode: claims.mode ?? 'unknown', requiredMode: policy.requiredMode,
    });
  }
  if (defences.enforceMinSvn && (claims.svn === undefined || claims.svn < policy.minSvn)) {
    reject('DEVICE_FIRMWARE_ROLLBACK', `firmware svn ${claims.svn ?? 'unknown'} is below the minimum ${policy.minSvn}`, {
      deviceId, svn: claims.svn ?? -1, minSvn: policy.minSvn,
    });
  }
  if (defences.checkMeasurements) {
    const reference = policy.referenceMeasurements[claims.flavour];
    if (reference === undefined || reference.size === 0) {
      reject('DEVICE_MEASUREMENT_MISMATCH', `the policy pins no reference measurements for ${claims.flavour}`, { deviceId });
    }
    for (const [index, want] of reference) {
      const got = claims.measurements.get(index);
      if (got === undefined || got !== want.toLowerCase()) {
        reject('DEVICE_MEASUREMENT_MISMATCH', `measurement ${index} is ${got === undefined ? 'missing' : 'not the reference'}`, {
          deviceId, index, got: got ?? '', want,
        });
      }
    }
    if (claims.fwidHex === undefined || claims.firmwareMeasurementHex === undefined || claims.fwidHex !== claims.firmwareMeasurementHex) {
      reject('DEVICE_MEASUREMENT_MISMATCH', 'the FWID does not equal the firmware measurement', {
        deviceId, fwid: claims.fwidHex ?? '', firmwareMeasurement: claims.firmwareMeasurementHex ?? '',
      });
    }
    emit('driver.attest.measurements', { deviceId, checked: reference.size });
  }
  emit('driver.attest.claims', { deviceId, mode: claims.mode ?? 'unknown', svn: claims.svn ?? -1 });
}

export function hexMap(map: ReadonlyMap<number, Uint8Array>): Map<number, string> {
  return new Map([...map].map(([index, digest]) => [index, toHex(digest)]));
}
