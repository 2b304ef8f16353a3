/**
 * The NSM request/response API on the wire (aws-nitro-enclaves-nsm-api `src/api/mod.rs`): CBOR of serde's
 * externally tagged enums. A unit variant is its name as a text string (`"DescribeNSM"`, `"GetRandom"`,
 * `"LockPCR"`); any other variant is a one-entry map from its name to a map of its fields.
 */
import { EmuError } from '../errors.ts';

export const NSM_PCR_COUNT = 32;
/** PCRs 0..15 are measured by the platform and locked before the enclave runs. */
export const NSM_PLATFORM_PCR_COUNT = 16;
/** The driver's request limit (NSM_REQUEST_MAX_SIZE). */
export const NSM_REQUEST_BYTES_MAX = 0x1000;
/** The driver's response buffer (NSM_RESPONSE_MAX_SIZE). */
export const NSM_RESPONSE_BYTES_MAX = 0x3000;
export const NSM_RANDOM_BYTES = 256;
/** user_data, nonce and public_key: AWS's own hardware test sends 1024 bytes of each and expects success. */
export const NSM_ATTESTATION_FIELD_BYTES_MAX = 1024;

/** ErrorCode names, sent as text in `{"Error": name}`. */
export const NSM_ERROR_NAMES = [
  'InvalidArgument',
  'InvalidIndex',
  'InvalidResponse',
  'ReadOnlyIndex',
  'InvalidOperation',
  'BufferTooSmall',
  'InputTooLarge',
  'InternalError',
] as const;
export type NsmErrorName = (typeof NSM_ERROR_NAMES)[number];

/** `ReadOnlyIndex` → `NSM_READ_ONLY_INDEX`: the EmuError code the client throws. */
export function nsmErrorCode(name: NsmErrorName): string {
  return `NSM_${name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

export interface NsmVersions {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export interface NsmDescription {
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly versionPatch: number;
  readonly moduleId: string;
  readonly maxPcrs: number;
  readonly lockedPcrs: readonly number[];
  readonly digest: string;
}

export type NsmRequest =
  | { readonly kind: 'DescribePCR'; readonly index: number }
  | { readonly kind: 'ExtendPCR'; readonly index: number; readonly data: Uint8Array }
  | { readonly kind: 'LockPCR'; readonly index: number }
  | { readonly kind: 'LockPCRs'; readonly range: number }
  | { readonly kind: 'DescribeNSM' }
  | {
      readonly kind: 'Attestation';
      readonly userData: Uint8Array | null;
      readonly nonce: Uint8Array | null;
      readonly publicKey: Uint8Array | null;
    }
  | { readonly kind: 'GetRandom' };

/** Thrown by the request decoder; the device turns it into `{"Error": name}`. */
export class NsmFailure extends Error {
  constructor(
    readonly errorName: NsmErrorName,
    message: string,
  ) {
    super(message);
    this.name = 'NsmFailure';
  }
}

function invalid(message: string): never {
  throw new NsmFailure('InvalidOperation', message);
}

function u16(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) invalid(`${field} must be a u16`);
  return value;
}

function fields(value: unknown, variant: string, required: readonly string[], optional: readonly string[] = []): Map<unknown, unknown> {
  if (!(value instanceof Map)) invalid(`${variant} carries a map of fields`);
  for (const key of value.keys()) {
    // serde would skip unknown fields; at this trust boundary they are refused instead.
    if (typeof key !== 'string' || (!required.includes(key) && !optional.includes(key))) invalid(`${variant} has an unknown field`);
  }
  for (const key of required) if (!value.has(key)) invalid(`${variant} lacks ${key}`);
  return value;
}

function optionalBytes(map: Map<unknown, unknown>, key: string): Uint8Array | null {
  const value = map.get(key);
  // serde reads a missing Option field as None, like an explicit null.
  if (value === undefined || value === null) return null;
  if (!(value instanceof Uint8Array)) invalid(`${key} must be a byte string or null`);
  return value;
}

/** From the strictly decoded CBOR value to a request; anything else is InvalidOperation. */
export function interpretNsmRequest(value: unknown): NsmRequest {
  if (value === 'DescribeNSM' || value === 'GetRandom') return { kind: value };
  if (!(value instanceof Map) || value.size !== 1) invalid('a request is a variant name or a one-entry map');
  const [variant, body] = [...value.entries()][0]!;
  switch (variant) {
    case 'DescribePCR':
      return { kind: variant, index: u16(fields(body, variant, ['index']).get('index'), 'index') };
    case 'LockPCR':
      return { kind: variant, index: u16(fields(body, variant, ['index']).get('index'), 'index') };
    case 'LockPCRs':
      return { kind: variant, range: u16(fields(body, variant, ['range']).get('range'), 'range') };
    case 'ExtendPCR': {
      const map = fields(body, variant, ['index', 'data']);
      const data = map.get('data');
      if (!(data instanceof Uint8Array)) invalid('ExtendPCR data must be a byte string');
      return { kind: variant, index: u16(map.get('index'), 'index'), data };
    }
    case 'Attestation': {
      const map = fields(body, variant, [], ['user_data', 'nonce', 'public_key']);
      return {
        kind: variant,
        userData: optionalBytes(map, 'user_data'),
        nonce: optionalBytes(map, 'nonce'),
        publicKey: optionalBytes(map, 'public_key'),
      };
    }
    default:
      invalid('unknown request');
  }
}

export function assertNsmErrorName(name: unknown): NsmErrorName {
  if (typeof name === 'string' && (NSM_ERROR_NAMES as readonly string[]).includes(name)) return name as NsmErrorName;
  throw new EmuError('NSM_INVALID_RESPONSE', `unknown NSM error ${JSON.stringify(name)}`);
}
