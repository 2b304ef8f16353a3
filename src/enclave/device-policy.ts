import { DEFAULT_DRIVER_DEFENCES, type DriverDefences } from '../accelerator/index.ts';
import { pemToDer } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';

/**
 * The accelerator policy an app carries in its measured image (`device-policy.json`): the vendor roots it pins and
 * the reference measurements it accepts (a RIM stand-in), per flavour. Because the file is measured, a parent
 * cannot swap in a weaker policy without changing PCR0 and losing the model key.
 */
export const DEVICE_POLICY_FILE = 'device-policy.json';
export const DEVICE_POLICY_BYTES_MAX = 64 * 1024;

const FLAVOURS = ['gpu', 'trainium'] as const;
const MODES = ['off', 'confidential', 'devtools'] as const;
type Flavour = (typeof FLAVOURS)[number];
type Mode = (typeof MODES)[number];
const HEX_DIGEST = /^[0-9a-f]{96}$/;
const INDEX_MAX = 254;

export interface ParsedDevicePolicy {
  readonly requiredMode: Mode;
  readonly minSvn: number;
  readonly vendorRootsDer: Readonly<Partial<Record<Flavour, Uint8Array>>>;
  readonly referenceMeasurements: Readonly<Partial<Record<Flavour, ReadonlyMap<number, string>>>>;
  /** Driver checks this (weaker, differently measured) image skips: negative controls only. */
  readonly driverDefences: DriverDefences;
}

function bad(message: string): EmuError {
  return new EmuError('DEVICE_POLICY_BAD', `device policy: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseReference(flavour: string, value: unknown): Map<number, string> {
  if (!isRecord(value)) throw bad(`${flavour}.reference must be an object of index → SHA-384 hex`);
  const out = new Map<number, string>();
  for (const [key, digest] of Object.entries(value)) {
    const index = Number(key);
    if (!/^[0-9]{1,3}$/.test(key) || index < 1 || index > INDEX_MAX) throw bad(`${flavour}.reference index ${key} is not 1…${INDEX_MAX}`);
    if (typeof digest !== 'string' || !HEX_DIGEST.test(digest)) throw bad(`${flavour}.reference[${key}] is not a lowercase SHA-384 hex digest`);
    out.set(index, digest);
  }
  if (out.size === 0) throw bad(`${flavour}.reference lists no measurement`);
  return out;
}

/** Strict: unknown keys, a missing root or an empty reference are errors, never a looser policy. */
export function parseDevicePolicy(json: string): ParsedDevicePolicy {
  if (json.length > DEVICE_POLICY_BYTES_MAX) throw bad(`larger than ${DEVICE_POLICY_BYTES_MAX} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw bad('not JSON');
  }
  if (!isRecord(raw)) throw bad('not an object');
  for (const key of Object.keys(raw)) {
    if (!['requiredMode', 'minSvn', 'vendors', 'checksOff'].includes(key)) throw bad(`unknown key ${key}`);
  }
  const { requiredMode, minSvn, vendors, checksOff } = raw;
  const driverDefences: Record<string, boolean> = { ...DEFAULT_DRIVER_DEFENCES };
  if (checksOff !== undefined) {
    if (!Array.isArray(checksOff)) throw bad('checksOff must be a list of driver check names');
    for (const name of checksOff) {
      if (typeof name !== 'string' || !(name in DEFAULT_DRIVER_DEFENCES)) throw bad(`unknown driver check ${JSON.stringify(name)}`);
      driverDefences[name] = false;
    }
  }
  if (!MODES.includes(requiredMode as Mode)) throw bad(`requiredMode must be one of ${MODES.join(', ')}`);
  if (!Number.isSafeInteger(minSvn) || (minSvn as number) < 0) throw bad('minSvn must be a non-negative integer');
  if (!isRecord(vendors) || Object.keys(vendors).length === 0) throw bad('vendors must name at least one flavour');
  const roots: Partial<Record<Flavour, Uint8Array>> = {};
  const references: Partial<Record<Flavour, ReadonlyMap<number, string>>> = {};
  for (const [flavour, entry] of Object.entries(vendors)) {
    if (!FLAVOURS.includes(flavour as Flavour)) throw bad(`unknown flavour ${flavour}`);
    if (!isRecord(entry) || typeof entry['rootPem'] !== 'string') throw bad(`${flavour}.rootPem is missing`);
    for (const key of Object.keys(entry)) if (!['rootPem', 'reference'].includes(key)) throw bad(`unknown key ${flavour}.${key}`);
    let ders: Uint8Array[];
    try {
      ders = pemToDer(entry['rootPem']);
    } catch {
      throw bad(`${flavour}.rootPem is not a PEM certificate`);
    }
    if (ders.length !== 1) throw bad(`${flavour}.rootPem must hold exactly one certificate`);
    roots[flavour as Flavour] = ders[0]!;
    references[flavour as Flavour] = parseReference(flavour, entry['reference']);
  }
  return {
    requiredMode: requiredMode as Mode,
    minSvn: minSvn as number,
    vendorRootsDer: roots,
    referenceMeasurements: references,
    driverDefences: driverDefences as unknown as DriverDefences,
  };
}
