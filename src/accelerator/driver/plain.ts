import { EmuError } from '../../errors.ts';
import { deviceError } from './evidence-errors.ts';
import { type DeviceLink, newDescriptorId, runBatch } from './link.ts';

/**
 * The plain path has no evidence to read the mode from, so the driver asks the copy engine: a zero-length plain
 * copy-out runs only on a device in mode off (the engine refuses plain copies in every other mode). It moves no
 * data, so it is safe to send before anything is known about the device.
 */
export function probePlainMode(link: DeviceLink): void {
  try {
    runBatch(link, [{ id: newDescriptorId(link), op: 'copy-out', stagingSlot: 0, deviceAddress: 0, length: 0 }]);
  } catch (error) {
    const deviceCode = error instanceof EmuError ? String(error.details?.['deviceCode'] ?? error.code) : 'INTERNAL';
    deviceError('DEVICE_MODE_REJECTED', 'the plain path needs a device in mode off', { deviceId: link.port.deviceId, deviceCode });
  }
}
