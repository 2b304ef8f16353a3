import { expect } from 'vitest';
import {
  type AcceleratorDefences, type AcceleratorFlavour, type DeviceCommand, type LockstepLimits, type Vendor,
  type EmulatedAccelerator, LockstepChannel, createAcceleratorDevice, createVendor, encodeDeviceCommand,
} from '../../src/accelerator/index.ts';
import { spdmHooksForTest } from '../../src/accelerator/device.ts';
import { isEmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/index.ts';

export const MiB = 1 << 20;

const vendors = new Map<string, Vendor>();

/** One vendor per flavour and seed (PKI generation is the slow part, so tests share it). */
export function vendorFor(flavour: AcceleratorFlavour, seed = 7): Vendor {
  const key = `${flavour}/${seed}`;
  let vendor = vendors.get(key);
  if (vendor === undefined) {
    vendor = createVendor(new Prng(seed, `vendor-${flavour}`), flavour);
    vendors.set(key, vendor);
  }
  return vendor;
}

export function makeDevice(
  flavour: AcceleratorFlavour,
  options: { index?: number; defences?: Partial<AcceleratorDefences>; limits?: LockstepLimits; mode?: 'off' | 'confidential' | 'devtools'; seed?: number } = {},
): EmulatedAccelerator {
  const index = options.index ?? 0;
  return createAcceleratorDevice({
    vendor: vendorFor(flavour), flavour, index, random: new Prng(options.seed ?? 11, `device-${flavour}-${index}`),
    capacityBytes: 64 * MiB, transferBytesMax: 1 * MiB, stagingSlotsMax: 8, ringSlotsMax: 8, linkSlotsMax: 4,
    ...(options.defences ? { defences: options.defences } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
  });
}

/** A session installed straight through the responder hooks (the SPDM engine is tested on its own). */
export function hookSession(device: EmulatedAccelerator, sessionId = 0x1234_5678, limits?: LockstepLimits) {
  const exportMaster = new Uint8Array(48).map((_, i) => (i * 13 + sessionId) & 0xff);
  const hooks = spdmHooksForTest(device);
  hooks.onSessionEstablished({ sessionId, exportMaster });
  return {
    sessionId,
    exportMaster,
    h2d: new LockstepChannel(exportMaster, 'h2d-data', limits),
    d2h: new LockstepChannel(exportMaster, 'd2h-data', limits),
    command: (command: DeviceCommand) => hooks.onSecuredCommand(sessionId, encodeDeviceCommand(command)),
  };
}

export function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(isEmuError(error, code), String(error)).toBe(true);
    return;
  }
  expect.fail(`expected ${code}`);
}

export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed * 31) & 0xff;
  return out;
}

export function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}
