import {
  type IssuedCertificate, type RandomSource, deriveAliasKeyPair, issueFirmwareAlias, toHex, wipe,
} from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import { copyFirmware, firmwareDigest, firmwareSignatureValid } from './firmware.ts';
import type { DeviceFuses } from './fuses.ts';
import type { FirmwareImage, FirmwareStatus } from './types.ts';

/**
 * The boot ROM: verifies the vendor's signature and the anti-rollback fuse, then does the DICE step: derives the
 * alias key from the device secret and the measured firmware and certifies it with the identity key, the TcbInfo
 * carrying the FWID and svn. A different firmware (or svn) therefore shows in the leaf certificate itself.
 */
export interface BootedFirmware {
  readonly image: FirmwareImage;
  readonly digest: Uint8Array;
  readonly status: FirmwareStatus;
  readonly aliasPrivateKey: Uint8Array;
  readonly aliasCertificate: IssuedCertificate;
}

export type BootRefusal = 'bad-signature' | 'below-anti-rollback-fuse';

/** What is burned into the chip's ROM at manufacture: a copy, so nothing outside the chip can change it later. */
export interface BootRom {
  readonly image: Uint8Array;
  readonly firmwarePublicKey: Uint8Array;
  readonly vendorName: string;
  readonly model: string;
}

export function burnBootRom(vendor: { readonly romImage: Uint8Array; readonly firmwarePublicKey: Uint8Array; readonly profile: { readonly vendor: string; readonly product: string } }): BootRom {
  return Object.freeze({
    image: vendor.romImage.slice(), firmwarePublicKey: vendor.firmwarePublicKey.slice(),
    vendorName: vendor.profile.vendor, model: vendor.profile.product,
  });
}

export function bootFirmware(args: {
  readonly rom: BootRom;
  readonly fuses: DeviceFuses;
  readonly image: FirmwareImage;
  readonly antiRollbackFuse: boolean;
  readonly random: RandomSource;
}): BootedFirmware {
  const { rom, fuses } = args;
  const image = copyFirmware(args.image);
  if (!firmwareSignatureValid(image, rom.firmwarePublicKey)) {
    throw new EmuError('DEV_BOOT_REFUSED', 'firmware signature does not verify with the vendor key in ROM', {
      reason: 'bad-signature' satisfies BootRefusal, version: image.version, svn: image.svn,
    });
  }
  if (args.antiRollbackFuse && image.svn < fuses.minSvn) {
    throw new EmuError('DEV_BOOT_REFUSED', `firmware svn ${image.svn} is below the anti-rollback fuse ${fuses.minSvn}`, {
      reason: 'below-anti-rollback-fuse' satisfies BootRefusal, version: image.version, svn: image.svn, fuseSvn: fuses.minSvn,
    });
  }
  const digest = firmwareDigest(image);
  const secret = fuses.deviceSecret();
  const alias = deriveAliasKeyPair(secret, digest, image.svn);
  wipe(secret);
  const aliasCertificate = issueFirmwareAlias(fuses.identitySigner(), args.random, {
    publicKey: alias.publicKey,
    tcb: { fwid: digest, svn: image.svn, vendor: rom.vendorName, model: rom.model },
  });
  fuses.burnMinSvn(image.svn);
  return {
    image,
    digest,
    status: { version: image.version, svn: image.svn, digestHex: toHex(digest) },
    aliasPrivateKey: alias.privateKey,
    aliasCertificate,
  };
}

/** Reset's boot step: the staged image if the ROM accepts it, else the running one stays (and the refusal is returned). */
export function bootStaged(args: Omit<Parameters<typeof bootFirmware>[0], 'image'> & {
  readonly staged: FirmwareImage;
  readonly running: BootedFirmware;
}): { readonly booted: BootedFirmware; readonly refusal?: EmuError } {
  try {
    return { booted: bootFirmware({ ...args, image: args.staged }) };
  } catch (error) {
    if (!(error instanceof EmuError) || error.code !== 'DEV_BOOT_REFUSED') throw error;
    return { booted: args.running, refusal: error };
  }
}
