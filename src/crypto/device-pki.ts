import { mapHashToField, getMinHashLength } from '@noble/curves/abstract/modular.js';
import { p384 } from '@noble/curves/nist.js';
import { OctetString } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Extension, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { EmuError } from '../errors.ts';
import { type RandomSource, equalBytes, fromHex, toHex, utf8 } from './bytes.ts';
import { hkdfSha384 } from './aead.ts';
import { type P384KeyPair, p384KeyPair } from './ecdsa.ts';
import type { IssuedCertificate } from './pki.ts';
import { OID_TCG_DICE_TCB_INFO, checkDiceTcb, decodeDiceTcbInfo, encodeDiceTcbInfo, findExtensionValue } from './spdm-dice-tcb.ts';
import { buildCertificate, ext, issueSelfSignedCa, keyIdentifier, randomSerial, subjectNameOf } from './x509-build.ts';
import { parseCertificate } from './x509-parse.ts';

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

// Fixed windows, like the real chain (whose certificates all end 9999-12-31): the same seed gives the same bytes
// whatever the world's epoch, and a device without a clock never has to issue a dated certificate.
export const VENDOR_NOT_BEFORE_MS = Date.UTC(2020, 0, 1);
export const VENDOR_NOT_AFTER_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
const UNIT = 'emulated';
// No RDN specials (, = + ; \ " < >): the alias reads the organization back from the identity's subject text.
const NAME_PATTERN = /^[A-Za-z0-9 ._()-]{1,48}$/;
const DEVICE_ID_PATTERN = /^[0-9a-f]{2,40}$/;
const OID_SERIAL_NUMBER = '2.5.4.5';
const OID_ORGANIZATION = '2.5.4.10';
const OID_UNIT = '2.5.4.11';
const OID_COMMON_NAME = '2.5.4.3';

function badInput(message: string): never {
  throw new EmuError('DEVICE_PKI_BAD_INPUT', message);
}

/** serialNumber (PrintableString, upper-case hex, as NVIDIA's device names carry), O, OU, CN. */
function deviceName(serialHex: string, vendor: string, commonName: string): Name {
  const rdn = (type: string, value: AttributeValue): RelativeDistinguishedName =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
  return new Name([
    rdn(OID_SERIAL_NUMBER, new AttributeValue({ printableString: serialHex.toUpperCase() })),
    rdn(OID_ORGANIZATION, new AttributeValue({ utf8String: vendor })),
    rdn(OID_UNIT, new AttributeValue({ utf8String: UNIT })),
    rdn(OID_COMMON_NAME, new AttributeValue({ utf8String: commonName })),
  ]);
}

function caName(vendor: string, commonName: string): Name {
  return new Name(
    [
      [OID_COMMON_NAME, commonName],
      [OID_ORGANIZATION, vendor],
      [OID_UNIT, UNIT],
    ].map(([type, value]) => new RelativeDistinguishedName([new AttributeTypeAndValue({ type: type!, value: new AttributeValue({ utf8String: value! }) })])),
  );
}

function issueVendorCa(random: RandomSource, issuer: IssuedCertificate, subject: Name): IssuedCertificate {
  const keyPair = p384KeyPair(random);
  const der = buildCertificate({
    serial: randomSerial(random, 16),
    issuer: subjectNameOf(issuer.der),
    subject,
    notBeforeMs: VENDOR_NOT_BEFORE_MS,
    notAfterMs: VENDOR_NOT_AFTER_MS,
    publicKey: keyPair.publicKey,
    extensions: [
      ext.basicConstraints(true),
      ext.keyUsage(true, ['keyCertSign', 'cRLSign']),
      ext.subjectKeyIdentifier(keyPair.publicKey),
      ext.authorityKeyIdentifier(issuer.keyPair.publicKey),
    ],
    signingKey: issuer.keyPair.privateKey,
  });
  return { der, keyPair };
}

/** Product name carried into the CA names; the device identity and alias read it back from the provisioner. */
const productOf = new WeakMap<VendorPki, string>();

export function createVendorPki(random: RandomSource, options: VendorPkiOptions): VendorPki {
  if (!NAME_PATTERN.test(options.vendor)) badInput('vendor must be 1..48 letters, digits, spaces or ._()-');
  if (!/^[A-Za-z0-9-]{1,16}$/.test(options.product)) badInput('product must be 1..16 letters, digits or dashes');
  const root = issueSelfSignedCa(random, {
    subject: [
      ['CN', `${options.vendor} Device Identity CA`],
      ['O', options.vendor],
      ['OU', UNIT],
    ],
    notBeforeMs: VENDOR_NOT_BEFORE_MS,
    notAfterMs: VENDOR_NOT_AFTER_MS,
    keyUsages: ['keyCertSign', 'cRLSign'],
  });
  const product = issueVendorCa(random, root, caName(options.vendor, `${options.vendor} ${options.product} Identity`));
  const provisioner = issueVendorCa(random, product, caName(options.vendor, `${options.vendor} ${options.product} Provisioner ICA 1`));
  const pki: VendorPki = { vendor: options.vendor, root, intermediates: [product, provisioner] };
  productOf.set(pki, options.product);
  return pki;
}

/**
 * The device identity certificate ("<product> A01 GSP BROM"-like), signed by the provisioner ICA. The vendor only
 * sees the public key; pass `privateKey` (the fused key) to get an IssuedCertificate that can sign the alias, else
 * its keyPair.privateKey is empty.
 */
export function issueDeviceIdentity(
  pki: VendorPki,
  random: RandomSource,
  options: { readonly deviceIdHex: string; readonly publicKey: Uint8Array; readonly privateKey?: Uint8Array },
): IssuedCertificate {
  void random; // the serial is the device id and the window is fixed: nothing here needs to be random
  const deviceIdHex = options.deviceIdHex.toLowerCase();
  if (!DEVICE_ID_PATTERN.test(deviceIdHex) || deviceIdHex.length % 2 !== 0) badInput('device id is 1..20 bytes of hex');
  const serial = fromHex(deviceIdHex);
  // A serial is a positive INTEGER: a top bit would need a sign byte and the certificate serial would differ from the id.
  if (serial[0]! & 0x80 || serial[0] === 0) badInput('device id must start with a byte in 0x01..0x7f');
  if (options.privateKey !== undefined && !equalBytes(p384.getPublicKey(options.privateKey, false), options.publicKey)) {
    badInput('the identity private key does not match its public key');
  }
  const provisioner = pki.intermediates[1];
  if (provisioner === undefined) badInput('the vendor PKI has no provisioner ICA');
  const product = productOf.get(pki) ?? 'DEVICE';
  const der = buildCertificate({
    serial,
    issuer: subjectNameOf(provisioner.der),
    subject: deviceName(deviceIdHex, pki.vendor, `${product} A01 GSP BROM`),
    notBeforeMs: VENDOR_NOT_BEFORE_MS,
    notAfterMs: VENDOR_NOT_AFTER_MS,
    publicKey: options.publicKey,
    extensions: [
      ext.basicConstraints(true, 0),
      ext.keyUsage(true, ['keyCertSign']),
      ext.subjectKeyIdentifier(options.publicKey),
      ext.authorityKeyIdentifier(provisioner.keyPair.publicKey),
    ],
    signingKey: provisioner.keyPair.privateKey,
  });
  return { der, keyPair: { privateKey: options.privateKey?.slice() ?? new Uint8Array(0), publicKey: options.publicKey.slice() } };
}

export interface DiceTcbInfo {
  /** SHA-384 of the firmware image. */
  readonly fwid: Uint8Array;
  readonly svn: number;
  readonly vendor: string;
  readonly model: string;
}

/**
 * The firmware-bound alias leaf ("<product> A01 GSP FMC LF"-like), signed by the device identity key. As on the
 * real leaf, the serial is the key identifier (top bit cleared): the same firmware gives the same certificate.
 */
export function issueFirmwareAlias(
  identity: IssuedCertificate,
  random: RandomSource,
  options: { readonly publicKey: Uint8Array; readonly tcb: DiceTcbInfo },
): IssuedCertificate {
  void random; // deterministic by design: DICE re-derives the same alias certificate at every boot
  if (identity.keyPair.privateKey.length === 0) {
    throw new EmuError('DEVICE_PKI_NO_IDENTITY_KEY', 'the identity certificate was issued without its private key');
  }
  checkDiceTcb(options.tcb);
  const serial = keyIdentifier(options.publicKey);
  serial[0] = serial[0]! & 0x7f || 0x01;
  const identityCert = parseCertificate(identity.der);
  const product = /CN=([A-Za-z0-9-]+) A01 GSP BROM/.exec(identityCert.subject)?.[1] ?? 'DEVICE';
  const organization = /O=([^,]+)/.exec(identityCert.subject)?.[1] ?? options.tcb.vendor;
  const tcbExtension = new Extension({
    extnID: OID_TCG_DICE_TCB_INFO,
    critical: false,
    extnValue: new OctetString(encodeDiceTcbInfo(options.tcb)),
  });
  const der = buildCertificate({
    serial,
    issuer: subjectNameOf(identity.der),
    subject: deviceName(toHex(serial), organization, `${product} A01 GSP FMC LF`),
    notBeforeMs: VENDOR_NOT_BEFORE_MS,
    notAfterMs: VENDOR_NOT_AFTER_MS,
    publicKey: options.publicKey,
    extensions: [
      ext.keyUsage(true, ['digitalSignature']),
      ext.subjectKeyIdentifier(options.publicKey),
      ext.authorityKeyIdentifier(identity.keyPair.publicKey),
      tcbExtension,
    ],
    signingKey: identity.keyPair.privateKey,
  });
  // The alias key pair belongs to the device (deriveAliasKeyPair); the certificate only carries the public half.
  return { der, keyPair: { privateKey: new Uint8Array(0), publicKey: options.publicKey.slice() } };
}

/** Reads the DICE TcbInfo extension of a certificate; null when absent; typed error when malformed. */
export function readDiceTcbInfo(certificateDer: Uint8Array): DiceTcbInfo | null {
  parseCertificate(certificateDer);
  const value = findExtensionValue(certificateDer, OID_TCG_DICE_TCB_INFO);
  return value === null ? null : decodeDiceTcbInfo(value);
}

const DEVICE_SECRET_BYTES_MIN = 32;
const ALIAS_SEED_BYTES = getMinHashLength(p384.Point.Fn.ORDER);

/**
 * DICE alias key: a P-384 key pair derived from the device secret and the measured firmware, so a different
 * firmware (or svn) yields a different key (research/gpu-cc.md §5.1 item 1).
 */
export function deriveAliasKeyPair(deviceSecret: Uint8Array, firmwareDigest: Uint8Array, svn: number): P384KeyPair {
  if (deviceSecret.length < DEVICE_SECRET_BYTES_MIN) badInput(`the device secret is at least ${DEVICE_SECRET_BYTES_MIN} bytes`);
  if (firmwareDigest.length !== 48) badInput('the firmware digest is a 48-byte SHA-384');
  if (!Number.isSafeInteger(svn) || svn < 0 || svn > 0x7fffffff) badInput('svn must be an integer in 0..2^31-1');
  const seed = hkdfSha384(deviceSecret, firmwareDigest, utf8(`nitro-emu dice alias svn ${svn}`), ALIAS_SEED_BYTES);
  // FIPS 186-5 A.2-style reduction: (seed mod (n − 1)) + 1, bias negligible with n + n/2 bytes of input.
  const privateKey = mapHashToField(seed, p384.Point.Fn.ORDER);
  seed.fill(0);
  return { privateKey, publicKey: p384.getPublicKey(privateKey, false) };
}
