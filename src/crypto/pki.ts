import { EmuError, assert } from '../errors.ts';
import { type RandomSource, concatBytes, fromHex, toHex } from './bytes.ts';
import { type P384KeyPair, p384KeyPair } from './ecdsa.ts';
import { type NameAttribute, buildCertificate, buildName, ext, issueSelfSignedCa, randomSerial, subjectNameOf } from './x509-build.ts';

/**
 * The emulated Nitro PKI, following the profile of real AWS chains (research/nitro-attestation-kms.md §1.3):
 * root → regional (pathlen 2) → zonal (pathlen 1) → instance (pathlen 0, keyCertSign only) → enclave leaf.
 * Names follow the real patterns but say "nitro-emu"/"emulated" where AWS says Amazon/AWS: nothing here claims
 * to be AWS's key.
 */

/** A certificate authority held by the emulated platform: DER certificate plus its signing key. */
export interface IssuedCertificate {
  readonly der: Uint8Array;
  readonly keyPair: P384KeyPair;
}

const SECOND_MS = 1000;
const HOUR_MS = 3600 * SECOND_MS;
const DAY_MS = 24 * HOUR_MS;

export const EMULATED_ROOT_NOT_BEFORE_MS = Date.UTC(2019, 9, 28);
export const EMULATED_ROOT_NOT_AFTER_MS = Date.UTC(2049, 9, 28);
export const REGIONAL_VALIDITY_MS = 20 * DAY_MS;
export const ZONAL_VALIDITY_MS = 5 * DAY_MS;
export const INSTANCE_VALIDITY_MS = DAY_MS;
/** Real leaves: notBefore = issue − 3 s, notAfter = issue + 3 h. */
export const LEAF_BACKDATE_MS = 3 * SECOND_MS;
export const LEAF_VALIDITY_MS = 3 * HOUR_MS + LEAF_BACKDATE_MS;

const ORGANIZATION = 'nitro-emu';
const UNIT = 'emulated';
const DOMAIN = 'emulated.nitro-enclaves';
const CRL_BASE = 'http://crl.emulated.nitro-enclaves.invalid/crl';

const ROOT_SUBJECT: readonly NameAttribute[] = [
  ['C', 'US'],
  ['O', ORGANIZATION],
  ['OU', UNIT],
  ['CN', DOMAIN],
];

const REGION_PATTERN = /^[a-z0-9-]{1,32}$/;
const INSTANCE_ID_PATTERN = /^i-[0-9a-f]{1,32}$/;
const MODULE_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
const ENCLAVE_UID_PATTERN = /-enc([0-9a-f]{16})$/;

function badInput(message: string): never {
  throw new EmuError('PKI_BAD_INPUT', message);
}

function checkTime(name: string, ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) badInput(`${name} must be a non-negative integer of ms, got ${ms}`);
  // X.509 times carry whole seconds; rounding down keeps the given instant inside the validity period.
  return Math.floor(ms / SECOND_MS) * SECOND_MS;
}

function randomUuid(random: RandomSource): string {
  const b = random.bytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = toHex(b);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The emulated Nitro root for one seed: P-384, `C=US, O=Amazon, OU=AWS, CN=emulated.nitro-enclaves`-style subject
 * that says it is emulated, valid 2019-10-28 … 2049-10-28 whatever the epoch, so the same seed gives the same bytes.
 */
export function createEmulatedNitroRoot(random: RandomSource): IssuedCertificate {
  return issueSelfSignedCa(random, {
    subject: ROOT_SUBJECT,
    notBeforeMs: EMULATED_ROOT_NOT_BEFORE_MS,
    notAfterMs: EMULATED_ROOT_NOT_AFTER_MS,
    keyUsages: ['digitalSignature', 'keyCertSign', 'cRLSign'],
  });
}

export interface NitroChainOptions {
  readonly random: RandomSource;
  readonly root: IssuedCertificate;
  /** Certificates below the root are issued at this instant. */
  readonly issuedAtMs: number;
  readonly region: string;
  readonly instanceId: string;
}

/** regional (pathlen 2, ~20 d) → zonal (pathlen 1, ~5 d) → instance (pathlen 0, 1 d, keyCertSign only). */
export interface NitroIntermediates {
  readonly regional: IssuedCertificate;
  readonly zonal: IssuedCertificate;
  readonly instance: IssuedCertificate;
  /** Root first, as in the document's cabundle. */
  readonly cabundle: readonly Uint8Array[];
}

function issueCa(
  random: RandomSource,
  issuer: IssuedCertificate,
  subject: readonly NameAttribute[],
  notBeforeMs: number,
  validityMs: number,
  pathLength: number,
): IssuedCertificate {
  const keyPair = p384KeyPair(random);
  const serial = randomSerial(random, pathLength === 2 ? 16 : 20);
  // The instance CA of real chains carries neither key identifiers nor a CRL pointer, and only keyCertSign.
  const extensions =
    pathLength === 0
      ? [ext.basicConstraints(true, 0), ext.keyUsage(true, ['keyCertSign'])]
      : [
          ext.basicConstraints(true, pathLength),
          ext.authorityKeyIdentifier(issuer.keyPair.publicKey),
          ext.subjectKeyIdentifier(keyPair.publicKey),
          ext.keyUsage(true, ['digitalSignature', 'keyCertSign', 'cRLSign']),
          ext.crlDistributionPoint(`${CRL_BASE}/${randomUuid(random)}.crl`),
        ];
  const der = buildCertificate({
    serial,
    issuer: subjectNameOf(issuer.der),
    subject: buildName(subject),
    notBeforeMs,
    notAfterMs: notBeforeMs + validityMs,
    publicKey: keyPair.publicKey,
    extensions,
    signingKey: issuer.keyPair.privateKey,
  });
  return { der, keyPair };
}

export function createNitroIntermediates(options: NitroChainOptions): NitroIntermediates {
  const { random, root, region, instanceId } = options;
  if (!REGION_PATTERN.test(region)) badInput(`region "${region}" is not like us-east-1`);
  if (!INSTANCE_ID_PATTERN.test(instanceId)) badInput(`instance id "${instanceId}" is not like i-0123456789abcdef0`);
  const issuedAtMs = checkTime('issuedAtMs', options.issuedAtMs);
  const regionalId = toHex(random.bytes(8));
  const zonalId = toHex(random.bytes(8));
  const regional = issueCa(
    random,
    root,
    [['C', 'US'], ['O', ORGANIZATION], ['OU', UNIT], ['CN', `${regionalId}.${region}.${DOMAIN}`]],
    issuedAtMs,
    REGIONAL_VALIDITY_MS,
    2,
  );
  // The zonal subject lists its RDNs in the reverse order, with ST/L appended: that is how the real ones look.
  const zonal = issueCa(
    random,
    regional,
    [['CN', `${zonalId}.zonal.${region}.${DOMAIN}`], ['OU', UNIT], ['O', ORGANIZATION], ['C', 'US'], ['ST', 'WA'], ['L', 'Seattle']],
    issuedAtMs,
    ZONAL_VALIDITY_MS,
    1,
  );
  const instance = issueCa(
    random,
    zonal,
    [['C', 'US'], ['ST', 'Washington'], ['L', 'Seattle'], ['O', ORGANIZATION], ['OU', UNIT], ['CN', `${instanceId}.${region}.${DOMAIN}`]],
    issuedAtMs,
    INSTANCE_VALIDITY_MS,
    0,
  );
  return { regional, zonal, instance, cabundle: [root.der, regional.der, zonal.der, instance.der] };
}

/**
 * The leaf serial of real documents: 8-byte enclave uid ‖ 00000000 ‖ 4-byte unix seconds of issue. The uid is the
 * `-enc<16 hex>` part of the module id when it has one (as on real hardware), else 8 random bytes.
 */
function leafSerial(random: RandomSource, moduleId: string, issuedAtSeconds: number): Uint8Array {
  const uidHex = ENCLAVE_UID_PATTERN.exec(moduleId)?.[1];
  const uid = uidHex === undefined ? random.bytes(8) : fromHex(uidHex);
  const seconds = new Uint8Array(4);
  new DataView(seconds.buffer).setUint32(0, issuedAtSeconds >>> 0);
  const serial = concatBytes(uid, new Uint8Array(4), seconds);
  // An all-zero uid would make the serial shorter; a zero serial is not allowed at all.
  if (serial.every((b) => b === 0)) serial[15] = 1;
  return serial;
}

/** Leaf for one enclave: CA:FALSE, digitalSignature+nonRepudiation, valid 3 h + 3 s from `notBeforeMs`. */
export function issueEnclaveLeaf(options: {
  readonly random: RandomSource;
  readonly issuer: IssuedCertificate;
  readonly moduleId: string;
  readonly region: string;
  readonly notBeforeMs: number;
}): IssuedCertificate {
  const { random, issuer, moduleId, region } = options;
  if (!MODULE_ID_PATTERN.test(moduleId)) badInput('module id must be 1..128 printable ASCII characters');
  if (!REGION_PATTERN.test(region)) badInput(`region "${region}" is not like us-east-1`);
  const notBeforeMs = checkTime('notBeforeMs', options.notBeforeMs);
  const keyPair = p384KeyPair(random);
  const serial = leafSerial(random, moduleId, (notBeforeMs + LEAF_BACKDATE_MS) / SECOND_MS);
  const der = buildCertificate({
    serial,
    issuer: subjectNameOf(issuer.der),
    subject: buildName([
      ['C', 'US'],
      ['ST', 'Washington'],
      ['L', 'Seattle'],
      ['O', ORGANIZATION],
      ['OU', UNIT],
      ['CN', `${moduleId}.${region}.emulated`],
    ]),
    notBeforeMs,
    notAfterMs: notBeforeMs + LEAF_VALIDITY_MS,
    publicKey: keyPair.publicKey,
    extensions: [ext.basicConstraints(false), ext.keyUsage(false, ['digitalSignature', 'nonRepudiation'])],
    signingKey: issuer.keyPair.privateKey,
  });
  assert(der.length < 1024, 'an enclave leaf must fit the 1024-byte certificate bound of the document');
  return { der, keyPair };
}
