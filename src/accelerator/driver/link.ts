import { EmuError } from '../../errors.ts';
import type { LockstepChannel } from '../lockstep.ts';
import type { SpdmSecuredSession } from '../spdm/index.ts';
import type { Completion, Descriptor } from '../types.ts';
import type { DataPath, EnclaveDevicePort } from './index.ts';

/**
 * What the driver holds for one device it drives: the port, the secured session and the two lockstep channels
 * (confidential path), and a broken flag. Once a transfer fails the counters on the two sides may disagree, so
 * the link refuses further work instead of guessing (fail closed).
 */
export interface DeviceLink {
  readonly port: EnclaveDevicePort;
  readonly path: DataPath;
  /** True when the device passed attestation under this driver (false only with attestPeersBeforeGroupKey off). */
  readonly attested: boolean;
  session: SpdmSecuredSession | undefined;
  h2d: LockstepChannel | undefined;
  d2h: LockstepChannel | undefined;
  broken: boolean;
  detached: boolean;
  nextDescriptorId: number;
  /** Bytes per staging transfer for this port (checked against its slot size at attach). */
  chunkBytes: number;
}

/** Descriptors per doorbell: small enough for any ring the device offers, large enough to amortise the poll. */
export const DOORBELL_BATCH_MAX = 8;
/** Completions we wait for per batch before calling the device silent (a doorbell runs its batch synchronously). */
const POLL_ROUNDS_MAX = 4;

export function usableLink(link: DeviceLink): void {
  if (link.detached) throw new EmuError('DRIVER_NOT_ATTACHED', 'the device was detached', { deviceId: link.port.deviceId });
  if (link.broken) {
    throw new EmuError('DRIVER_LINK_BROKEN', 'an earlier transfer failed; the device must be reset and attached again', {
      deviceId: link.port.deviceId,
    });
  }
}

export function newDescriptorId(link: DeviceLink): number {
  const id = link.nextDescriptorId;
  // Ids only need to be unique among in-flight descriptors; wrap well inside the safe-integer range.
  link.nextDescriptorId = id >= 0x7fffffff ? 1 : id + 1;
  return id;
}

/**
 * Submits up to DOORBELL_BATCH_MAX descriptors, rings once, and checks that every one completed ok. Any error
 * completion (or a missing one) breaks the link and becomes DEVICE_TRANSFER_FAILED carrying the device's code.
 * Returns the busy time the device reported.
 */
export function runBatch(link: DeviceLink, descriptors: readonly Descriptor[]): number {
  usableLink(link);
  if (descriptors.length === 0) return 0;
  if (descriptors.length > DOORBELL_BATCH_MAX) {
    throw new EmuError('DRIVER_BATCH_TOO_LARGE', 'batch exceeds the doorbell bound', { descriptors: descriptors.length });
  }
  try {
    for (const d of descriptors) link.port.submit(d);
    link.port.doorbell();
  } catch (error) {
    link.broken = true;
    throw transferFailed(link, error instanceof EmuError ? error.code : 'DEVICE_REFUSED', error);
  }
  const pending = new Map<number, Descriptor>(descriptors.map((d) => [d.id, d]));
  let busyNs = 0;
  for (let round = 0; round < POLL_ROUNDS_MAX && pending.size > 0; round++) {
    for (const c of link.port.poll()) busyNs += judge(link, pending, c);
  }
  if (pending.size > 0) {
    link.broken = true;
    throw transferFailed(link, 'DEVICE_NO_COMPLETION', undefined, { missing: pending.size });
  }
  return busyNs;
}

function judge(link: DeviceLink, pending: Map<number, Descriptor>, completion: Completion): number {
  const descriptor = pending.get(completion.id);
  if (descriptor === undefined) {
    link.broken = true;
    throw transferFailed(link, 'DEVICE_UNEXPECTED_COMPLETION', undefined, { id: completion.id });
  }
  pending.delete(completion.id);
  if (!completion.ok) {
    link.broken = true;
    throw transferFailed(link, completion.code ?? 'DEVICE_ERROR', undefined, { id: completion.id, op: descriptor.op });
  }
  return completion.busyNs;
}

export function transferFailed(
  link: DeviceLink,
  deviceCode: string,
  cause?: unknown,
  extra: Record<string, unknown> = {},
): EmuError {
  const error = new EmuError('DEVICE_TRANSFER_FAILED', `device ${link.port.deviceId} reported ${deviceCode}`, {
    deviceId: link.port.deviceId,
    deviceCode,
    ...extra,
  });
  if (cause !== undefined) (error as Error & { cause?: unknown }).cause = cause;
  return error;
}
