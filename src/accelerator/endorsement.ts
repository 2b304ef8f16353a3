/**
 * The platform-mediated device endorsement: the Nitro controller's COSE_Sign1 (ES384) over evidence it verified
 * itself (the device's SPDM certificate chain to the vendor root and its signed measurements), bound to the
 * enclave's nonce and signed with a controller certificate that chains to the emulated Nitro root.
 *
 * ASSUMED DESIGN: AWS has not published how (or whether) a Nitro enclave would learn what an attached Trainium
 * device is. This codec is the emulator's stand-in, and every endorsement carries `assumed: true` so that no output
 * can present it as AWS's published design (research/gpu-cc.md §4, §5).
 *
 * Payload: a definite CBOR map with text keys in this order: deviceId, flavour, mode, svn, fwid, measurements,
 * leafPublicKey, nonce, timestampMs, assumed, certificate, cabundle (root first, like an attestation document).
 */
import {
  type CborNode,
  type IssuedCertificate,
  decodeCoseSign1,
  encodeCbor,
  encodeCoseSign1Es384,
  equalBytes,
  parseCborTree,
  parseCertificate,
  verifyCertificateChain,
  verifyCoseSign1Es384,
  type ParsedCertificate,
} from '../crypto/index.ts';
import { EmuError, isEmuError } from '../errors.ts';
import type { AcceleratorFlavour, DeviceMode } from './types.ts';

/** What the controller vouches for (all of it checked against the device's signed evidence first). */
export interface DeviceEndorsementClaims {
  /** Hex serial of the device identity certificate. */
  readonly deviceId: string;
  readonly flavour: AcceleratorFlavour;
  readonly mode: DeviceMode;
  readonly svn: number;
  /** SHA-384 of the running firmware (the alias certificate's FWID). */
  readonly fwid: Uint8Array;
  /** Measurement index (1..254) → SHA-384 digest, as the device signed them. */
  readonly measurements: ReadonlyMap<number, Uint8Array>;
  /** The device's alias leaf key (uncompressed P-384): the enclave runs KEY_EXCHANGE against exactly this key. */
  readonly leafPublicKey: Uint8Array;
  /** The enclave's nonce, echoed so the endorsement cannot be replayed to another request. */
  readonly nonce: Uint8Array;
  /** When the controller measured the device, ms since epoch. */
  readonly timestampMs: number;
}

export interface VerifiedDeviceEndorsement extends DeviceEndorsementClaims {
  /** Always true: the label every consumer must carry forward. */
  readonly assumed: true;
  readonly certificate: Uint8Array;
  readonly cabundle: readonly Uint8Array[];
}

export interface EndorsementSigner {
  readonly leaf: IssuedCertificate;
  /** Root first … the certificate that issued the leaf last. */
  readonly cabundle: readonly Uint8Array[];
}

export interface EndorsementVerifyOptions {
  readonly nitroRootDer: Uint8Array;
  /** The verifier's trusted time, ms since epoch. */
  readonly atMs: number;
  readonly expectedNonce: Uint8Array;
  /** How old an endorsement may be at `atMs` (default ENDORSEMENT_AGE_MS_MAX). */
  readonly ageMsMax?: number;
}

/** The controller's endorsement leaf carries this in its CN, so no enclave attestation leaf can pass as one. */
export const ENDORSER_CN_PREFIX = 'nitro-device-endorser';
export const ENDORSEMENT_BYTES_MAX = 16 * 1024;
/** An endorsement is evidence about the device now, not a credential: five minutes, like a fresh attestation. */
export const ENDORSEMENT_AGE_MS_MAX = 5 * 60 * 1000;
/** Clock skew tolerated for a timestamp ahead of the verifier's time. */
export const ENDORSEMENT_SKEW_MS_MAX = 60 * 1000;
export const ENDORSEMENT_NONCE_BYTES_MAX = 64;
export const ENDORSEMENT_CERT_BYTES_MAX = 2048;
export const ENDORSEMENT_CABUNDLE_MAX = 8;
const DIGEST_BYTES = 48;
const P384_POINT_BYTES = 97;
const MEASUREMENT_INDEX_MAX = 254;
const SVN_MAX = 0xffff_ffff;
const DEVICE_ID_PATTERN = /^[0-9a-f]{1,64}$/;
const FLAVOURS: readonly string[] = ['gpu', 'trainium'];
const MODES: readonly string[] = ['off', 'confidential', 'devtools'];
const KEYS = [
  'deviceId', 'flavour', 'mode', 'svn', 'fwid', 'measurements', 'leafPublicKey', 'nonce', 'timestampMs', 'assumed',
  'certificate', 'cabundle',
] as const;
type Key = (typeof KEYS)[number];

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new EmuError('DEVICE_ENDORSEMENT_INVALID', `device endorsement: ${message}`, details);
}

function checkLength(field: string, value: unknown, min: number, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(`${field} is not a byte string`, { field });
  if (value.length < min || value.length > max) invalid(`${field} is ${value.length} bytes, allowed ${min}..${max}`, { field });
  return value;
}

/** One rule set for the signer and the verifier: the controller never signs what an enclave would refuse. */
function checkClaims(claims: DeviceEndorsementClaims): void {
  if (typeof claims.deviceId !== 'string' || !DEVICE_ID_PATTERN.test(claims.deviceId)) invalid('deviceId is not 1..64 lowercase hex digits');
  if (!FLAVOURS.includes(claims.flavour)) invalid(`flavour "${String(claims.flavour)}" is unknown`);
  if (!MODES.includes(claims.mode)) invalid(`mode "${String(claims.mode)}" is unknown`);
  if (!Number.isSafeInteger(claims.svn) || claims.svn < 0 || claims.svn > SVN_MAX) invalid('svn is not a u32');
  checkLength('fwid', claims.fwid, DIGEST_BYTES, DIGEST_BYTES);
  if (claims.measurements.size < 1 || claims.measurements.size > MEASUREMENT_INDEX_MAX) invalid('measurements must have 1..254 entries');
  for (const [index, digest] of claims.measurements) {
    if (!Number.isInteger(index) || index < 1 || index > MEASUREMENT_INDEX_MAX) invalid(`measurement index ${index} is not in 1..254`);
    checkLength(`measurement ${index}`, digest, DIGEST_BYTES, DIGEST_BYTES);
  }
  checkLength('leafPublicKey', claims.leafPublicKey, P384_POINT_BYTES, P384_POINT_BYTES);
  if (claims.leafPublicKey[0] !== 0x04) invalid('leafPublicKey is not an uncompressed point');
  checkLength('nonce', claims.nonce, 1, ENDORSEMENT_NONCE_BYTES_MAX);
  if (!Number.isSafeInteger(claims.timestampMs) || claims.timestampMs <= 0) invalid('timestampMs is not a positive integer');
}

/** Signs an endorsement. The caller (the Nitro controller) has verified the evidence behind every claim. */
export function signDeviceEndorsement(claims: DeviceEndorsementClaims, signer: EndorsementSigner): Uint8Array {
  checkClaims(claims);
  checkLength('certificate', signer.leaf.der, 1, ENDORSEMENT_CERT_BYTES_MAX);
  if (signer.cabundle.length < 1 || signer.cabundle.length > ENDORSEMENT_CABUNDLE_MAX) invalid('cabundle must have 1..8 entries');
  for (const der of signer.cabundle) checkLength('cabundle entry', der, 1, ENDORSEMENT_CERT_BYTES_MAX);
  const measurements = new Map([...claims.measurements].sort((a, b) => a[0] - b[0]));
  const payload = encodeCbor(
    new Map<string, unknown>([
      ['deviceId', claims.deviceId],
      ['flavour', claims.flavour],
      ['mode', claims.mode],
      ['svn', claims.svn],
      ['fwid', claims.fwid],
      ['measurements', measurements],
      ['leafPublicKey', claims.leafPublicKey],
      ['nonce', claims.nonce],
      ['timestampMs', claims.timestampMs],
      ['assumed', true],
      ['certificate', signer.leaf.der],
      ['cabundle', [...signer.cabundle]],
    ]),
  );
  return encodeCoseSign1Es384(payload, signer.leaf.keyPair.privateKey);
}

function bytesOf(field: string, node: CborNode, min: number, max: number): Uint8Array {
  if (node.kind !== 'bytes') invalid(`${field} is a ${node.kind}, not a byte string`, { field });
  return checkLength(field, node.value, min, max).slice();
}

function textOf(field: string, node: CborNode): string {
  if (node.kind !== 'text') invalid(`${field} is a ${node.kind}, not text`, { field });
  return node.value;
}

function uintOf(field: string, node: CborNode): number {
  if (node.kind !== 'uint' || typeof node.value !== 'number') invalid(`${field} is not a uint below 2^53`, { field });
  return node.value;
}

function measurementsOf(node: CborNode): Map<number, Uint8Array> {
  if (node.kind !== 'map') invalid('measurements is not a map');
  if (node.entries.length > MEASUREMENT_INDEX_MAX) invalid('measurements has too many entries');
  const out = new Map<number, Uint8Array>();
  let previous = 0;
  for (const [key, value] of node.entries) {
    const index = uintOf('measurement index', key);
    // Ascending order makes the encoding canonical: one set of claims, one byte string.
    if (index <= previous) invalid('measurement indices are not strictly ascending');
    previous = index;
    out.set(index, bytesOf(`measurement ${index}`, value, DIGEST_BYTES, DIGEST_BYTES));
  }
  return out;
}

function decodePayload(payload: Uint8Array): VerifiedDeviceEndorsement {
  const root = parseCborTree(payload, 'device endorsement payload', { maxBytes: ENDORSEMENT_BYTES_MAX, maxDepth: 4 });
  if (root.kind !== 'map' || root.indefinite) invalid('payload is not a definite-length map');
  if (root.entries.length !== KEYS.length) invalid(`payload has ${root.entries.length} keys, expected ${KEYS.length}`);
  const fields = new Map<Key, CborNode>();
  for (const [i, [key, value]] of root.entries.entries()) {
    if (key.kind !== 'text' || key.value !== KEYS[i]) invalid(`key ${i} is not "${KEYS[i]}"`);
    fields.set(KEYS[i]!, value);
  }
  const field = (key: Key): CborNode => fields.get(key)!;
  const assumed = field('assumed');
  if (assumed.kind !== 'bool' || !assumed.value) invalid('assumed is not true');
  const cabundle = field('cabundle');
  if (cabundle.kind !== 'array' || cabundle.items.length < 1 || cabundle.items.length > ENDORSEMENT_CABUNDLE_MAX) {
    invalid('cabundle is not an array of 1..8 certificates');
  }
  const claims: VerifiedDeviceEndorsement = {
    deviceId: textOf('deviceId', field('deviceId')),
    flavour: textOf('flavour', field('flavour')) as AcceleratorFlavour,
    mode: textOf('mode', field('mode')) as DeviceMode,
    svn: uintOf('svn', field('svn')),
    fwid: bytesOf('fwid', field('fwid'), DIGEST_BYTES, DIGEST_BYTES),
    measurements: measurementsOf(field('measurements')),
    leafPublicKey: bytesOf('leafPublicKey', field('leafPublicKey'), P384_POINT_BYTES, P384_POINT_BYTES),
    nonce: bytesOf('nonce', field('nonce'), 1, ENDORSEMENT_NONCE_BYTES_MAX),
    timestampMs: uintOf('timestampMs', field('timestampMs')),
    assumed: true,
    certificate: bytesOf('certificate', field('certificate'), 1, ENDORSEMENT_CERT_BYTES_MAX),
    cabundle: cabundle.items.map((item) => bytesOf('cabundle entry', item, 1, ENDORSEMENT_CERT_BYTES_MAX)),
  };
  checkClaims(claims);
  return claims;
}

/** Lower-layer codes become ours, keeping the cause: a caller matches on one family of codes. */
function asInvalid<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isEmuError(error) && !error.code.startsWith('DEVICE_ENDORSEMENT_')) {
      const code = error.code === 'CHAIN_EXPIRED' ? 'DEVICE_ENDORSEMENT_EXPIRED' : 'DEVICE_ENDORSEMENT_INVALID';
      throw new EmuError(code, `device endorsement: ${what}: ${error.message}`, { cause: error.code });
    }
    throw error;
  }
}

function checkChain(claims: VerifiedDeviceEndorsement, options: EndorsementVerifyOptions): ParsedCertificate {
  const root = asInvalid('pinned root', () => parseCertificate(options.nitroRootDer));
  if (!equalBytes(claims.cabundle[0]!, root.der)) invalid('cabundle[0] is not the pinned Nitro root');
  const leaf = asInvalid('certificate', () => parseCertificate(claims.certificate));
  const intermediates = claims.cabundle.slice(1).reverse().map((der) => asInvalid('cabundle', () => parseCertificate(der)));
  asInvalid('chain', () => verifyCertificateChain([leaf, ...intermediates], root, options.atMs));
  if (!/(^|, )CN=nitro-device-endorser[^,]*$/.test(leaf.subject)) invalid(`certificate "${leaf.subject}" is not a device endorser's`);
  if (leaf.p384PublicKey === undefined) invalid('certificate key is not P-384');
  return leaf;
}

/**
 * Strict decode, chain to the pinned Nitro root at `atMs`, signature, freshness, nonce. Errors:
 * DEVICE_ENDORSEMENT_INVALID (malformed, bad chain or signature, not an endorser's certificate),
 * DEVICE_ENDORSEMENT_EXPIRED (certificate expired, or older than `ageMsMax`), DEVICE_ENDORSEMENT_NONCE.
 */
export function verifyDeviceEndorsement(bytes: Uint8Array, options: EndorsementVerifyOptions): VerifiedDeviceEndorsement {
  if (!(bytes instanceof Uint8Array)) invalid('expected bytes');
  if (bytes.length > ENDORSEMENT_BYTES_MAX) invalid(`${bytes.length} bytes is over ${ENDORSEMENT_BYTES_MAX}`);
  const cose = asInvalid('envelope', () => decodeCoseSign1(bytes));
  if (cose.unprotected.size !== 0) invalid('unprotected header is not empty');
  const claims = asInvalid('payload', () => decodePayload(cose.payload));
  const leaf = checkChain(claims, options);
  if (!verifyCoseSign1Es384(cose, leaf.p384PublicKey!)) invalid('signature does not verify with the endorser certificate');
  const ageMsMax = options.ageMsMax ?? ENDORSEMENT_AGE_MS_MAX;
  if (claims.timestampMs > options.atMs + ENDORSEMENT_SKEW_MS_MAX) invalid('timestampMs is in the future');
  if (options.atMs - claims.timestampMs > ageMsMax) {
    throw new EmuError('DEVICE_ENDORSEMENT_EXPIRED', `device endorsement: issued ${options.atMs - claims.timestampMs} ms ago, over ${ageMsMax}`);
  }
  if (!equalBytes(claims.nonce, options.expectedNonce)) throw new EmuError('DEVICE_ENDORSEMENT_NONCE', 'device endorsement: nonce is not the expected one');
  return claims;
}
