import {
  DEFAULT_DRIVER_DEFENCES,
  DEFAULT_DEFENCES as DEFAULT_DEVICE_DEFENCES,
  connectPeers,
  createAcceleratorDevice,
  createVendor,
  type AcceleratorDefences,
  type AcceleratorFlavour,
  type DriverDefences,
  type EmulatedAccelerator,
  type Vendor,
} from '../accelerator/index.ts';
import { derToPem } from '../crypto/index.ts';
import { Prng } from '../sim/index.ts';

/**
 * The accelerators of a world. The vendor (its PKI root, firmware releases, reference values) is the same in every
 * world, as a real vendor's is, so the enclave image can pin its root and measurements; the devices (their fused
 * secrets and identity certificates) are new in each world, drawn from the world's seed.
 */
export const FLAVOURS: readonly AcceleratorFlavour[] = ['gpu', 'trainium'];
export const DEVICES_MAX = 8;

const vendors = new Map<AcceleratorFlavour, Vendor>();

export function standardVendor(flavour: AcceleratorFlavour): Vendor {
  let vendor = vendors.get(flavour);
  if (vendor === undefined) {
    vendor = createVendor(new Prng(0, `emulated-accelerator-vendor-${flavour}`), flavour);
    vendors.set(flavour, vendor);
  }
  return vendor;
}

export const DEVICE_DEFENCE_NAMES = Object.keys(DEFAULT_DEVICE_DEFENCES) as readonly (keyof AcceleratorDefences)[];
export const DRIVER_DEFENCE_NAMES = Object.keys(DEFAULT_DRIVER_DEFENCES) as readonly (keyof DriverDefences)[];

/**
 * The device policy the default image carries (`device-policy.json`): both vendors' roots, the reference measurements
 * of their current firmware in confidential mode, and the minimum security version. `checksOff` names driver checks
 * a weaker image skips (negative controls only); the committed file has none.
 */
export function devicePolicyJson(checksOff: readonly (keyof DriverDefences)[] = []): string {
  const vendorsJson: Record<string, unknown> = {};
  let minSvn = 0;
  for (const flavour of FLAVOURS) {
    const manifest = standardVendor(flavour).referenceManifest('confidential');
    minSvn = Math.max(minSvn, manifest.minSvn);
    vendorsJson[flavour] = {
      rootPem: derToPem(manifest.rootDer),
      reference: Object.fromEntries([...manifest.measurements].sort((a, b) => a[0] - b[0]).map(([i, hex]) => [String(i), hex])),
    };
  }
  const policy: Record<string, unknown> = { requiredMode: 'confidential', minSvn, vendors: vendorsJson };
  if (checksOff.length > 0) policy['checksOff'] = [...checksOff].sort();
  return `${JSON.stringify(policy, null, 2)}\n`;
}

export interface WorldAccelerators {
  readonly flavour: AcceleratorFlavour;
  readonly devices: readonly EmulatedAccelerator[];
}

/** Makes `count` devices of one flavour from the world's seed, linked pairwise (an NVLink/NeuronLink-like mesh). */
export function makeWorldDevices(options: {
  readonly flavour: AcceleratorFlavour;
  readonly count: number;
  readonly prng: (name: string) => Prng;
  readonly confidential: boolean;
  readonly defences: AcceleratorDefences;
}): EmulatedAccelerator[] {
  const vendor = standardVendor(options.flavour);
  const devices: EmulatedAccelerator[] = [];
  for (let index = 0; index < options.count; index++) {
    devices.push(
      createAcceleratorDevice({
        vendor,
        flavour: options.flavour,
        random: options.prng(`accelerator.${options.flavour}.${index}`),
        index,
        defences: options.defences,
        mode: options.confidential ? 'confidential' : 'off',
      }),
    );
  }
  for (let i = 0; i < devices.length; i++) for (let j = i + 1; j < devices.length; j++) connectPeers(devices[i]!, devices[j]!);
  return devices;
}
