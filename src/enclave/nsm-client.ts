/**
 * A typed NSM client over any transport that carries request bytes to the device and response bytes back
 * (in the emulator, `NsmDevice.request`). It decodes every response strictly: a response of the wrong shape is
 * NSM_INVALID_RESPONSE, and `{"Error": name}` becomes `EmuError('NSM_<NAME>')`, e.g. NSM_READ_ONLY_INDEX.
 */
import { EmuError } from '../errors.ts';
import { decodeCborStrict, encodeCbor } from '../crypto/index.ts';
import {
  NSM_RESPONSE_BYTES_MAX,
  assertNsmErrorName,
  nsmErrorCode,
  type NsmDescription,
} from './nsm-wire.ts';

export type NsmTransport = (request: Uint8Array) => Uint8Array;

function badResponse(message: string): never {
  throw new EmuError('NSM_INVALID_RESPONSE', message);
}

function expectMap(value: unknown, what: string): Map<unknown, unknown> {
  if (!(value instanceof Map)) badResponse(`${what} is not a map`);
  return value;
}

function bytesField(map: Map<unknown, unknown>, key: string): Uint8Array {
  const value = map.get(key);
  if (!(value instanceof Uint8Array)) badResponse(`${key} is not a byte string`);
  return value;
}

function uintField(map: Map<unknown, unknown>, key: string): number {
  const value = map.get(key);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) badResponse(`${key} is not an unsigned integer`);
  return value;
}

export class NsmClient {
  readonly #transport: NsmTransport;

  constructor(transport: NsmTransport) {
    this.#transport = transport;
  }

  /** Sends one request; returns the body of the expected variant (or `undefined` for a unit variant). */
  #call(request: unknown, variant: string): Map<unknown, unknown> | undefined {
    const responseBytes = this.#transport(encodeCbor(request));
    let response: unknown;
    try {
      response = decodeCborStrict(responseBytes, 'NSM response', { maxBytes: NSM_RESPONSE_BYTES_MAX, maxDepth: 4 });
    } catch (error) {
      badResponse(`undecodable response: ${(error as Error).message}`);
    }
    if (response === variant) return undefined;
    const map = expectMap(response, 'the response');
    if (map.size !== 1) badResponse('a response is a one-entry map');
    if (map.has('Error')) {
      const name = assertNsmErrorName(map.get('Error'));
      throw new EmuError(nsmErrorCode(name), `the NSM refused ${variant}: ${name}`, { nsmError: name });
    }
    if (!map.has(variant)) badResponse(`expected a ${variant} response`);
    return expectMap(map.get(variant), variant);
  }

  #body(request: unknown, variant: string): Map<unknown, unknown> {
    const body = this.#call(request, variant);
    if (body === undefined) badResponse(`${variant} came back without its fields`);
    return body;
  }

  #unit(request: unknown, variant: string): void {
    if (this.#call(request, variant) !== undefined) badResponse(`${variant} came back with fields`);
  }

  describePcr(index: number): { readonly lock: boolean; readonly data: Uint8Array } {
    const body = this.#body(new Map([['DescribePCR', new Map([['index', index]])]]), 'DescribePCR');
    const lock = body.get('lock');
    if (typeof lock !== 'boolean') badResponse('lock is not a boolean');
    return { lock, data: bytesField(body, 'data') };
  }

  /** Returns the PCR's new value. */
  extendPcr(index: number, data: Uint8Array): Uint8Array {
    const request = new Map([['ExtendPCR', new Map<string, unknown>([['index', index], ['data', data]])]]);
    return bytesField(this.#body(request, 'ExtendPCR'), 'data');
  }

  lockPcr(index: number): void {
    this.#unit(new Map([['LockPCR', new Map([['index', index]])]]), 'LockPCR');
  }

  /** Locks PCRs [0, range). */
  lockPcrs(range: number): void {
    this.#unit(new Map([['LockPCRs', new Map([['range', range]])]]), 'LockPCRs');
  }

  describeNsm(): NsmDescription {
    const body = this.#body('DescribeNSM', 'DescribeNSM');
    const moduleId = body.get('module_id');
    const digest = body.get('digest');
    const locked = body.get('locked_pcrs');
    if (typeof moduleId !== 'string' || typeof digest !== 'string') badResponse('module_id and digest must be text');
    if (!Array.isArray(locked) || !locked.every((i) => typeof i === 'number' && Number.isInteger(i) && i >= 0)) {
      badResponse('locked_pcrs must be an array of indices');
    }
    return {
      versionMajor: uintField(body, 'version_major'),
      versionMinor: uintField(body, 'version_minor'),
      versionPatch: uintField(body, 'version_patch'),
      moduleId,
      maxPcrs: uintField(body, 'max_pcrs'),
      lockedPcrs: locked as number[],
      digest,
    };
  }

  /** The attestation document (COSE_Sign1 bytes). Absent fields are sent as null, as the Rust client does. */
  attestation(options: { userData?: Uint8Array; nonce?: Uint8Array; publicKey?: Uint8Array } = {}): Uint8Array {
    const request = new Map([
      [
        'Attestation',
        new Map<string, unknown>([
          ['user_data', options.userData ?? null],
          ['nonce', options.nonce ?? null],
          ['public_key', options.publicKey ?? null],
        ]),
      ],
    ]);
    return bytesField(this.#body(request, 'Attestation'), 'document');
  }

  getRandom(): Uint8Array {
    return bytesField(this.#body('GetRandom', 'GetRandom'), 'random');
  }
}
