import {
  type P384KeyPair, type RandomSource, type VendorPki, concatBytes, createVendorPki, p384KeyPair, toHex, utf8,
} from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import { firmwareDigest, signFirmware } from './firmware.ts';
import { type DeviceProfile, deviceProfile } from './flavours.ts';
import { bootRomImage, measurementMap, measurementRecords } from './measurements.ts';
import type { AcceleratorFlavour, DeviceMode, FirmwareImage } from './types.ts';

/**
 * The device vendor, per seed: its PKI (root → product CA → provisioner ICA, all emulated), its firmware signing key
 * and a small catalogue of signed firmware: the current release and an older, validly signed but vulnerable one
 * (DEV-02/RB-05). The signing key and the CA keys stay in this module (a factory is the only other holder, through
 * `vendorFactory`); the vendor object itself exposes only public material.
 */
export const CURRENT_SVN = 3;
export const VULNERABLE_SVN = 1;
const FIRMWARE_CODE_BYTES = 2048;

/** What a RIM would say for the current firmware in confidential mode. */
export interface ReferenceManifest {
  readonly flavour: AcceleratorFlavour;
  readonly mode: DeviceMode;
  readonly firmwareVersion: string;
  readonly firmwareDigestHex: string;
  /** Measurement index → SHA-384 hex. */
  readonly measurements: ReadonlyMap<number, string>;
  readonly minSvn: number;
  readonly rootDer: Uint8Array;
}

export type ModifiedSigning = 'unsigned' | 'foreign-key';

export interface Vendor {
  readonly flavour: AcceleratorFlavour;
  readonly profile: DeviceProfile;
  readonly rootDer: Uint8Array;
  /** Root-most first: product identity CA, provisioner ICA. */
  readonly intermediatesDer: readonly Uint8Array[];
  /** 97-byte P-384 point burned into every boot ROM of this product. */
  readonly firmwarePublicKey: Uint8Array;
  readonly romImage: Uint8Array;
  readonly minSvn: number;
  readonly firmware: { readonly current: FirmwareImage; readonly vulnerable: FirmwareImage };
  referenceManifest(mode?: DeviceMode): ReferenceManifest;
  /** A new vendor release (validly signed), e.g. a later svn. */
  release(fields: { readonly version: string; readonly svn: number; readonly code: Uint8Array }): FirmwareImage;
  /**
   * DEV-04: an image whose code differs from `base` by `patch` appended; 'unsigned' keeps the old (now wrong)
   * signature zeroed, 'foreign-key' re-signs it with a key that is not the vendor's.
   */
  modifiedImage(base: FirmwareImage, patch: Uint8Array, signing: ModifiedSigning, random: RandomSource): FirmwareImage;
}

/** What only a manufacturing line holds: the PKI with its CA keys. */
export interface VendorFactory {
  readonly pki: VendorPki;
}

const factories = new WeakMap<Vendor, VendorFactory>();

export function vendorFactory(vendor: Vendor): VendorFactory {
  const factory = factories.get(vendor);
  if (factory === undefined) throw new EmuError('DEV_UNKNOWN_VENDOR', 'this vendor object was not made by createVendor');
  return factory;
}

function firmwareCode(random: RandomSource, profile: DeviceProfile, version: string): Uint8Array {
  return concatBytes(utf8(`nitro-emu ${profile.product} ${profile.firmwareName} ${version} (emulated)\0`), random.bytes(FIRMWARE_CODE_BYTES));
}

export function createVendor(random: RandomSource, flavour: AcceleratorFlavour): Vendor {
  const profile = deviceProfile(flavour);
  const pki = createVendorPki(random, { vendor: profile.vendor, product: profile.product });
  const signingKey: P384KeyPair = p384KeyPair(random);
  const romImage = bootRomImage(profile, signingKey.publicKey);
  const sign = (version: string, svn: number, code: Uint8Array): FirmwareImage =>
    signFirmware({ name: profile.firmwareName, version, svn, code }, signingKey.privateKey);
  const vulnerableVersion = `${VULNERABLE_SVN}.4.0`;
  const currentVersion = `${CURRENT_SVN}.2.0`;
  const vulnerable = sign(vulnerableVersion, VULNERABLE_SVN, firmwareCode(random, profile, vulnerableVersion));
  const current = sign(currentVersion, CURRENT_SVN, firmwareCode(random, profile, currentVersion));
  // Taken now: the manifest describes the release as signed, whatever a holder of the catalogue does to its bytes later.
  const currentDigest = firmwareDigest(current);
  const digestHex = toHex(currentDigest);

  const vendor: Vendor = {
    flavour,
    profile,
    rootDer: pki.root.der.slice(),
    intermediatesDer: pki.intermediates.map((c) => c.der.slice()),
    firmwarePublicKey: signingKey.publicKey.slice(),
    romImage: romImage.slice(),
    minSvn: CURRENT_SVN,
    firmware: { current, vulnerable },
    referenceManifest(mode: DeviceMode = 'confidential'): ReferenceManifest {
      const records = measurementRecords({ profile, romImage, firmwareDigest: currentDigest.slice(), mode });
      return {
        flavour, mode, firmwareVersion: current.version, firmwareDigestHex: digestHex,
        measurements: measurementMap(records), minSvn: CURRENT_SVN, rootDer: pki.root.der.slice(),
      };
    },
    release(fields) {
      return sign(fields.version, fields.svn, fields.code);
    },
    modifiedImage(base, patch, signing, modRandom) {
      const code = concatBytes(base.code, patch);
      if (signing === 'unsigned') {
        return Object.freeze({ name: base.name, version: base.version, svn: base.svn, code, signature: new Uint8Array(96) });
      }
      const foreign = p384KeyPair(modRandom);
      return signFirmware({ name: base.name, version: base.version, svn: base.svn, code }, foreign.privateKey);
    },
  };
  factories.set(vendor, { pki });
  return Object.freeze(vendor);
}
