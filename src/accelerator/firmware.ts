import { concatBytes, p384Sign, p384Verify, sha384, toHex, utf8 } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import type { FirmwareImage } from './types.ts';

/**
 * Firmware images and their vendor signature. The signed bytes are a length-prefixed encoding of name, version,
 * svn and code, so no field can bleed into another; the vendor signs them with ECDSA P-384 over SHA-384 (raw r‖s),
 * and the FWID (the alias certificate's TcbInfo and the mutable-firmware measurement) is SHA-384 of the same bytes,
 * so the svn and version are measured along with the code.
 */
export const FIRMWARE_CODE_BYTES_MAX = 16 << 20;
const NAME_BYTES_MAX = 255;
const SVN_MAX = 0xffff_ffff;

function checkFields(name: string, version: string, svn: number, code: Uint8Array): void {
  const nameBytes = utf8(name).length;
  const versionBytes = utf8(version).length;
  if (nameBytes === 0 || nameBytes > NAME_BYTES_MAX || versionBytes === 0 || versionBytes > NAME_BYTES_MAX) {
    throw new EmuError('DEV_BAD_FIRMWARE', `firmware name and version must be 1..${NAME_BYTES_MAX} bytes`);
  }
  if (!Number.isSafeInteger(svn) || svn < 0 || svn > SVN_MAX) {
    throw new EmuError('DEV_BAD_FIRMWARE', 'firmware svn must be a u32', { svn });
  }
  if (code.length === 0 || code.length > FIRMWARE_CODE_BYTES_MAX) {
    throw new EmuError('DEV_BAD_FIRMWARE', `firmware code must be 1..${FIRMWARE_CODE_BYTES_MAX} bytes`, { codeBytes: code.length });
  }
}

/** u8 len ‖ name ‖ u8 len ‖ version ‖ u32 LE svn ‖ code. */
export function firmwareSignedBytes(image: Pick<FirmwareImage, 'name' | 'version' | 'svn' | 'code'>): Uint8Array {
  checkFields(image.name, image.version, image.svn, image.code);
  const name = utf8(image.name);
  const version = utf8(image.version);
  const svn = new Uint8Array(4);
  new DataView(svn.buffer).setUint32(0, image.svn, true);
  return concatBytes(Uint8Array.of(name.length), name, Uint8Array.of(version.length), version, svn, image.code);
}

export function firmwareDigest(image: Pick<FirmwareImage, 'name' | 'version' | 'svn' | 'code'>): Uint8Array {
  return sha384(firmwareSignedBytes(image));
}

export function firmwareDigestHex(image: Pick<FirmwareImage, 'name' | 'version' | 'svn' | 'code'>): string {
  return toHex(firmwareDigest(image));
}

export function signFirmware(
  fields: { readonly name: string; readonly version: string; readonly svn: number; readonly code: Uint8Array },
  signingKey: Uint8Array,
): FirmwareImage {
  const code = fields.code.slice();
  const signature = p384Sign(firmwareSignedBytes({ ...fields, code }), signingKey);
  return Object.freeze({ name: fields.name, version: fields.version, svn: fields.svn, code, signature });
}

/** The boot ROM's check; false for a bad signature or malformed fields, never throws on bad input. */
export function firmwareSignatureValid(image: FirmwareImage, vendorPublicKey: Uint8Array): boolean {
  let signed: Uint8Array;
  try {
    signed = firmwareSignedBytes(image);
  } catch {
    return false;
  }
  return p384Verify(image.signature, signed, vendorPublicKey);
}

/** A deep copy, so an image handed to a device cannot be changed under it afterwards. */
export function copyFirmware(image: FirmwareImage): FirmwareImage {
  return Object.freeze({
    name: image.name, version: image.version, svn: image.svn, code: image.code.slice(), signature: image.signature.slice(),
  });
}
