import { concatBytes, fromUtf8, p384KeyPair, p384Sign, p384Verify, sha384, toHex, utf8, type RandomSource } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';

/**
 * Emulated Nitro card firmware: a manifest that says what the build does, signed by the platform's
 * firmware key (which lives in the deployment service, never on a host or with an operator).
 *
 *   'NEFW' | u8 version 1 | u32 manifest length | manifest (JSON) | u16 signature length | signature
 *
 * The signature is ECDSA P-384 over everything before it. A production build's manifest never has
 * `attestationService: 'debug'`; only an unsigned operator build can say so.
 */
export interface FirmwareManifest {
  readonly name: string;
  readonly version: string;
  /** 'production' signs only what the NSM measured; 'debug' also signs for any PCRs its console is given. */
  readonly attestationService: 'production' | 'debug';
}

export const FIRMWARE_MAGIC = 'NEFW';
export const FIRMWARE_BYTES_MAX = 64 * 1024;
const HEADER_BYTES = 9;

function firmwareError(message: string): EmuError {
  return new EmuError('HV_FIRMWARE_MALFORMED', message);
}

export function encodeFirmware(manifest: FirmwareManifest, signature: Uint8Array): Uint8Array {
  const body = firmwareBody(manifest);
  const tail = new Uint8Array(2 + signature.length);
  new DataView(tail.buffer).setUint16(0, signature.length);
  tail.set(signature, 2);
  return concatBytes(body, tail);
}

function firmwareBody(manifest: FirmwareManifest): Uint8Array {
  const json = utf8(JSON.stringify({ name: manifest.name, version: manifest.version, attestationService: manifest.attestationService }));
  const head = new Uint8Array(HEADER_BYTES);
  head.set(utf8(FIRMWARE_MAGIC), 0);
  head[4] = 1;
  new DataView(head.buffer).setUint32(5, json.length);
  return concatBytes(head, json);
}

export interface ParsedFirmware {
  readonly manifest: FirmwareManifest;
  /** Everything the signature covers. */
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
  readonly measurement: string;
}

/** Strict parse: any malformed image is a typed error, never a partly understood one. */
export function parseFirmware(image: Uint8Array): ParsedFirmware {
  if (image.length < HEADER_BYTES + 2 || image.length > FIRMWARE_BYTES_MAX) throw firmwareError(`firmware image of ${image.length} bytes`);
  if (fromUtf8(image.subarray(0, 4)) !== FIRMWARE_MAGIC || image[4] !== 1) throw firmwareError('not a version 1 firmware image');
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const manifestBytes = view.getUint32(5);
  const signatureAt = HEADER_BYTES + manifestBytes;
  if (signatureAt + 2 > image.length) throw firmwareError('manifest runs past the image');
  const signatureBytes = view.getUint16(signatureAt);
  if (signatureAt + 2 + signatureBytes !== image.length) throw firmwareError('signature length does not match the image');
  let raw: unknown;
  try {
    raw = JSON.parse(fromUtf8(image.subarray(HEADER_BYTES, signatureAt)));
  } catch {
    throw firmwareError('manifest is not JSON');
  }
  const m = raw as Record<string, unknown>;
  if (typeof m['name'] !== 'string' || typeof m['version'] !== 'string' || (m['attestationService'] !== 'production' && m['attestationService'] !== 'debug')) {
    throw firmwareError('manifest lacks name, version or attestationService');
  }
  const manifest: FirmwareManifest = { name: m['name'], version: m['version'], attestationService: m['attestationService'] };
  return {
    manifest,
    signed: image.slice(0, signatureAt),
    signature: image.slice(signatureAt + 2),
    measurement: toHex(sha384(image)),
  };
}

/** Whether the image carries a valid signature by the platform's firmware key. */
export function firmwareSignedBy(parsed: ParsedFirmware, publicKey: Uint8Array): boolean {
  return parsed.signature.length > 0 && p384Verify(parsed.signature, parsed.signed, publicKey);
}

/** The deployment service's signing half: the only holder of the firmware key (harness side). */
export class FirmwareSigner {
  readonly publicKey: Uint8Array;
  readonly #privateKey: Uint8Array;

  constructor(random: RandomSource) {
    const pair = p384KeyPair(random);
    this.publicKey = pair.publicKey;
    this.#privateKey = pair.privateKey;
  }

  /** Builds and signs a production image; there is no way to sign a debug build here. */
  buildProduction(version: string): Uint8Array {
    const manifest: FirmwareManifest = { name: 'nitro-card', version, attestationService: 'production' };
    return encodeFirmware(manifest, p384Sign(firmwareBody(manifest), this.#privateKey));
  }
}
