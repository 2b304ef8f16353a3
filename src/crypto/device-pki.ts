// CONTRACT STUB: signatures are fixed; the implementation replaces the bodies.
import type { RandomSource } from './bytes.ts';
import type { IssuedCertificate } from './pki.ts';

/**
 * A per-seed accelerator vendor PKI following NVIDIA's published Hopper profile (research/gpu-cc.md §1.3):
 * all P-384 / ecdsa-with-SHA384, root (self-signed) → product identity CA → provisioner ICA → per-device identity
 * (serial = device id) → firmware-bound alias leaf carrying a TCG DICE TcbInfo extension (OID 2.23.133.5.4.1) with
 * the firmware's SHA-384 FWID and its security version. Names say "nitro-emu"/"emulated": nothing claims to be
 * NVIDIA's or AWS's key.
 */
export interface VendorPki {
  readonly vendor: string;
  readonly root: IssuedCertificate;
  /** Root-most first: [product identity CA, provisioner ICA]. */
  readonly intermediates: readonly IssuedCertificate[];
}

export interface VendorPkiOptions {
  /** e.g. "nitro-emu GPU vendor" or "nitro-emu Trainium vendor". */
  readonly vendor: string;
  /** e.g. "GH100" or "TRN2": goes into the CA and device names. */
  readonly product: string;
}

export function createVendorPki(_random: RandomSource, _options: VendorPkiOptions): VendorPki {
  throw new Error('not implemented');
}

/** The device identity certificate ("<product> A01 GSP BROM"-like), signed by the provisioner ICA. */
export function issueDeviceIdentity(
  _pki: VendorPki,
  _random: RandomSource,
  _options: { readonly deviceIdHex: string; readonly publicKey: Uint8Array },
): IssuedCertificate {
  throw new Error('not implemented');
}

export interface DiceTcbInfo {
  /** SHA-384 of the firmware image. */
  readonly fwid: Uint8Array;
  readonly svn: number;
  readonly vendor: string;
  readonly model: string;
}

/** The firmware-bound alias leaf ("<product> A01 GSP FMC LF"-like), signed by the device identity key. */
export function issueFirmwareAlias(
  _identity: IssuedCertificate,
  _random: RandomSource,
  _options: { readonly publicKey: Uint8Array; readonly tcb: DiceTcbInfo },
): IssuedCertificate {
  throw new Error('not implemented');
}

/** Reads the DICE TcbInfo extension of a certificate; null when absent; typed error when malformed. */
export function readDiceTcbInfo(_certificateDer: Uint8Array): DiceTcbInfo | null {
  throw new Error('not implemented');
}

/**
 * DICE alias key: a P-384 key pair derived from the device secret and the measured firmware, so a different
 * firmware (or svn) yields a different key (research/gpu-cc.md §5.1 item 1).
 */
export function deriveAliasKeyPair(
  _deviceSecret: Uint8Array,
  _firmwareDigest: Uint8Array,
  _svn: number,
): { readonly privateKey: Uint8Array; readonly publicKey: Uint8Array } {
  throw new Error('not implemented');
}
