/**
 * The Metadata section (EIF v4): compact JSON of image-format's `EifIdentityInfo`, keys in its field order.
 * Nothing here reads the clock: the build time is an argument (default the Unix epoch, the usual
 * reproducible-build choice), so the same inputs give the same bytes.
 */
import { EmuError } from '../errors.ts';
import { fromUtf8, utf8 } from '../crypto/index.ts';

export interface EifBuildMetadata {
  readonly BuildTime: string;
  readonly BuildTool: string;
  readonly BuildToolVersion: string;
  readonly OperatingSystem: string;
  readonly KernelVersion: string;
}

export interface EifIdentityInfo {
  readonly ImageName: string;
  readonly ImageVersion: string;
  readonly BuildMetadata: EifBuildMetadata;
  readonly DockerInfo: unknown;
  /** A JSON object or null (nitro-cli flattens it into describe-eif's `Metadata`). */
  readonly CustomMetadata: Readonly<Record<string, unknown>> | null;
}

export const EMULATOR_BUILD_TOOL = 'nitro-emu';
export const EMULATOR_BUILD_TOOL_VERSION = '0.1.0';
/** nitro-cli caps the user's `--metadata` file at 4096 bytes. */
export const CUSTOM_METADATA_BYTES_MAX = 4096;
const METADATA_BYTES_MAX = 64 * 1024;

/** chrono's `to_rfc3339()` shape for a UTC instant: `1970-01-01T00:00:00+00:00`, fraction only when non-zero. */
export function rfc3339Utc(timeMs: number): string {
  if (!Number.isSafeInteger(timeMs) || timeMs < 0) throw new EmuError('EIF_BAD_METADATA', `build time must be ms since the epoch, got ${timeMs}`);
  const iso = new Date(timeMs).toISOString(); // 1970-01-01T00:00:00.000Z
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 19)}${millis === '000' ? '' : `.${millis}`}+00:00`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkCustomMetadata(value: unknown): Readonly<Record<string, unknown>> | null {
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value)) throw new EmuError('EIF_BAD_METADATA', 'custom metadata must be a JSON object');
  const text = JSON.stringify(value);
  if (utf8(text).length > CUSTOM_METADATA_BYTES_MAX) {
    throw new EmuError('EIF_BAD_METADATA', `custom metadata is over ${CUSTOM_METADATA_BYTES_MAX} bytes of JSON`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

export function identityInfo(options: {
  readonly name: string;
  readonly version: string;
  readonly buildTimeMs?: number;
  readonly custom?: unknown;
}): EifIdentityInfo {
  return {
    ImageName: options.name,
    ImageVersion: options.version,
    BuildMetadata: {
      BuildTime: rfc3339Utc(options.buildTimeMs ?? 0),
      BuildTool: EMULATOR_BUILD_TOOL,
      BuildToolVersion: EMULATOR_BUILD_TOOL_VERSION,
      OperatingSystem: 'nitro-emu emulated enclave',
      KernelVersion: 'emulated ABI v1',
    },
    DockerInfo: null,
    CustomMetadata: checkCustomMetadata(options.custom),
  };
}

export function encodeMetadata(info: EifIdentityInfo): Uint8Array {
  const b = info.BuildMetadata;
  // Rebuilt field by field so the key order is the struct's whatever object the caller passed.
  const ordered = {
    ImageName: info.ImageName,
    ImageVersion: info.ImageVersion,
    BuildMetadata: {
      BuildTime: b.BuildTime,
      BuildTool: b.BuildTool,
      BuildToolVersion: b.BuildToolVersion,
      OperatingSystem: b.OperatingSystem,
      KernelVersion: b.KernelVersion,
    },
    DockerInfo: info.DockerInfo,
    CustomMetadata: info.CustomMetadata,
  };
  return utf8(JSON.stringify(ordered));
}

function requireString(record: Record<string, unknown>, key: string, where: string): string {
  const value = record[key];
  if (typeof value !== 'string') throw new EmuError('EIF_BAD_METADATA', `${where}.${key} must be a string`);
  return value;
}

/** Strict: the fields serde would require, with their types. */
export function decodeMetadata(bytes: Uint8Array): EifIdentityInfo {
  if (bytes.length > METADATA_BYTES_MAX) throw new EmuError('EIF_BAD_METADATA', `metadata is over ${METADATA_BYTES_MAX} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new EmuError('EIF_BAD_METADATA', 'the metadata section is not UTF-8 JSON');
  }
  if (!isPlainObject(parsed)) throw new EmuError('EIF_BAD_METADATA', 'the metadata section is not a JSON object');
  const build = parsed['BuildMetadata'];
  if (!isPlainObject(build)) throw new EmuError('EIF_BAD_METADATA', 'BuildMetadata must be an object');
  const custom = parsed['CustomMetadata'];
  if (custom !== undefined && custom !== null && !isPlainObject(custom)) throw new EmuError('EIF_BAD_METADATA', 'CustomMetadata must be an object or null');
  return {
    ImageName: requireString(parsed, 'ImageName', 'metadata'),
    ImageVersion: requireString(parsed, 'ImageVersion', 'metadata'),
    BuildMetadata: {
      BuildTime: requireString(build, 'BuildTime', 'BuildMetadata'),
      BuildTool: requireString(build, 'BuildTool', 'BuildMetadata'),
      BuildToolVersion: requireString(build, 'BuildToolVersion', 'BuildMetadata'),
      OperatingSystem: requireString(build, 'OperatingSystem', 'BuildMetadata'),
      KernelVersion: requireString(build, 'KernelVersion', 'BuildMetadata'),
    },
    // serde reads a missing `serde_json::Value` field as null.
    DockerInfo: parsed['DockerInfo'] ?? null,
    CustomMetadata: custom ?? null,
  };
}
