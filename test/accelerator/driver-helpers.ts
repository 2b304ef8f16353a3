import { expect } from 'vitest';
import {
  type AcceleratorDefences, type AcceleratorFlavour, type DeviceMode, type DriverDefences, type DriverOptions,
  type EmulatedAccelerator, type EnclaveDevicePort, type FirmwareImage, type HostVisibleSlots, type TransformerShape,
  type Vendor, createAcceleratorDevice, createAcceleratorDriver, createVendor, generateTransformerFile,
  parseTransformerFile, planWeightLayout, signDeviceEndorsement,
} from '../../src/accelerator/index.ts';
import {
  type IssuedCertificate, createEmulatedNitroRoot, createNitroIntermediates, issueEnclaveLeaf,
} from '../../src/crypto/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { collectDeviceEvidence } from '../../src/hypervisor/device-endorser.ts';
import { Prng } from '../../src/sim/index.ts';

export const MiB = 1 << 20;
/** The fixed epoch of reproducible worlds (DESIGN.md §3). */
export const AT_MS = Date.UTC(2026, 0, 1);
/** 2 layers so a 2-device pipeline has one layer each; small enough for seconds-long suites. */
export const TINY_SHAPE: TransformerShape = { vocab: 32, dim: 16, layers: 2, heads: 2, ffn: 32, maxSeq: 12 };

const vendors = new Map<string, Vendor>();

export function vendorFor(flavour: AcceleratorFlavour, seed = 21): Vendor {
  const key = `${flavour}/${seed}`;
  let vendor = vendors.get(key);
  if (vendor === undefined) {
    vendor = createVendor(new Prng(seed, `driver-vendor-${flavour}`), flavour);
    vendors.set(key, vendor);
  }
  return vendor;
}

export interface DeviceSpec {
  readonly flavour: AcceleratorFlavour;
  readonly index?: number;
  readonly mode?: DeviceMode;
  readonly firmware?: FirmwareImage;
  readonly vendor?: Vendor;
  readonly defences?: Partial<AcceleratorDefences>;
  readonly transferBytesMax?: number;
}

export function makeDevice(spec: DeviceSpec): EmulatedAccelerator {
  const index = spec.index ?? 0;
  return createAcceleratorDevice({
    vendor: spec.vendor ?? vendorFor(spec.flavour), flavour: spec.flavour, index,
    random: new Prng(31, `driver-device-${spec.flavour}-${index}`),
    capacityBytes: 64 * MiB, transferBytesMax: spec.transferBytesMax ?? 64 * 1024, stagingSlotsMax: 4, ringSlotsMax: 16,
    linkSlotsMax: 2,
    ...(spec.mode ? { mode: spec.mode } : {}),
    ...(spec.firmware ? { firmware: spec.firmware } : {}),
    ...(spec.defences ? { defences: spec.defences } : {}),
  });
}

/** The emulated Nitro controller's endorser, built once (a stand-in for the hypervisor's). */
interface Endorser {
  readonly rootDer: Uint8Array;
  readonly leaf: IssuedCertificate;
  readonly cabundle: readonly Uint8Array[];
}
const endorsers = new Map<number, Endorser>();

export function endorserFor(seed = 5): Endorser {
  let endorser = endorsers.get(seed);
  if (endorser === undefined) {
    const random = new Prng(seed, 'driver-test-nitro');
    const root = createEmulatedNitroRoot(random);
    const chain = createNitroIntermediates({ random, root, issuedAtMs: AT_MS - 1000, region: 'us-east-1', instanceId: 'i-0123456789abcdef0' });
    const leaf = issueEnclaveLeaf({ random, issuer: chain.instance, moduleId: 'nitro-device-endorser-0123456789abcdef0', region: 'us-east-1', notBeforeMs: AT_MS - 1000 });
    endorser = { rootDer: root.der, leaf, cabundle: chain.cabundle };
    endorsers.set(seed, endorser);
  }
  return endorser;
}

/** What the Nitro controller does for a Trainium: verifies the device over its own path, then signs. */
export function endorse(device: EmulatedAccelerator, nonce: Uint8Array, endorser = endorserFor(), vendorRoots?: Uint8Array[]): Uint8Array {
  const evidence = collectDeviceEvidence(device, new Prng(3, 'controller-spdm'), vendorRoots ?? [vendorFor(device.flavour).rootDer], AT_MS);
  return signDeviceEndorsement({ ...evidence, nonce, timestampMs: AT_MS }, { leaf: endorser.leaf, cabundle: endorser.cabundle });
}

export interface PortTap {
  /** Every buffer written to a staging slot, by anyone (what the host sees). */
  readonly stagingWrites: Uint8Array[];
}

/**
 * The enclave's port on a device, as the hypervisor binding gives it, with a tap on the host-visible staging and a
 * `target` the test can swap (the relay rerouted to another device, DEV-05).
 */
export function portFor(
  device: EmulatedAccelerator,
  options: { endorse?: (nonce: Uint8Array) => Uint8Array; spdm?: (request: Uint8Array, target: EmulatedAccelerator) => Uint8Array } = {},
): { port: EnclaveDevicePort; tap: PortTap; reroute(to: EmulatedAccelerator): void } {
  let target = device;
  const tap: PortTap = { stagingWrites: [] };
  const staging: HostVisibleSlots = {
    get slotsMax() { return target.staging.slotsMax; },
    get slotBytesMax() { return target.staging.slotBytesMax; },
    read: (slot) => target.staging.read(slot),
    write: (slot, bytes) => {
      tap.stagingWrites.push(bytes.slice());
      target.staging.write(slot, bytes);
    },
  };
  const port: EnclaveDevicePort = {
    deviceId: device.deviceId,
    flavour: device.flavour,
    trustModel: device.trustModel,
    spdm: (request) => (options.spdm ? options.spdm(request, target) : target.spdm(request)),
    staging,
    submit: (d) => target.submit('enclave', d),
    doorbell: () => target.doorbell('enclave'),
    poll: () => target.pollCompletions(),
    ...(device.trustModel === 'platform-mediated-assumed'
      ? { endorsement: options.endorse ?? ((nonce: Uint8Array) => endorse(target, nonce)) }
      : {}),
  };
  return { port, tap, reroute: (to) => { target = to; } };
}

export function policyFor(flavour: AcceleratorFlavour, overrides: { pinned?: readonly number[]; minSvn?: number } = {}) {
  const vendor = vendorFor(flavour);
  const manifest = vendor.referenceManifest('confidential');
  const pinned = overrides.pinned ?? [...manifest.measurements.keys()];
  const reference = new Map([...manifest.measurements].filter(([index]) => pinned.includes(index)));
  return {
    vendorRootsDer: { [flavour]: vendor.rootDer },
    nitroRootDer: endorserFor().rootDer,
    minSvn: overrides.minSvn ?? manifest.minSvn,
    requiredMode: 'confidential' as const,
    referenceMeasurements: { [flavour]: reference },
    atMs: AT_MS,
  };
}

export function driverFor(
  flavour: AcceleratorFlavour,
  path: 'confidential' | 'plain',
  options: { defences?: Partial<DriverDefences>; pinned?: readonly number[]; events?: string[]; chunkBytes?: number; seed?: number } = {},
) {
  const driverOptions: DriverOptions = {
    random: new Prng(options.seed ?? 41, `driver-${flavour}`),
    policy: policyFor(flavour, options.pinned ? { pinned: options.pinned } : {}),
    path,
    ...(options.chunkBytes !== undefined ? { chunkBytes: options.chunkBytes } : {}),
    ...(options.defences ? { defences: options.defences } : {}),
    ...(options.events ? { onEvent: (kind: string) => options.events!.push(kind) } : {}),
  };
  return createAcceleratorDriver(driverOptions);
}

let tinyModel: Uint8Array | undefined;
export function tinyModelFile(): Uint8Array {
  tinyModel ??= generateTransformerFile(new Prng(9, 'driver-model'), 'driver test model CANARY-7f3a', TINY_SHAPE);
  return tinyModel;
}

/** 32 bytes of the first layer's query matrix: weight bytes the host must never see in confidential mode. */
export function weightCanary(): Uint8Array {
  const file = tinyModelFile();
  const range = planWeightLayout(parseTransformerFile(file), file, 0).fileRanges.get('l0.attn.wq')!;
  return file.slice(range.offset, range.offset + 32);
}

export function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle)) >= 0;
}

export function expectCode(fn: () => unknown, code: string): unknown {
  try {
    fn();
  } catch (error) {
    expect(isEmuError(error, code), String(error)).toBe(true);
    return error;
  }
  return expect.fail(`expected ${code}`);
}
