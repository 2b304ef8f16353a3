/**
 * The Nitro Secure Module as the enclave sees it through `/dev/nsm`: one call takes request bytes and
 * returns response bytes (the ioctl). PCRs 0..15 hold the platform's measurements and are locked from the
 * start; 16..31 start at zero, unlocked, for the enclave to extend and lock. A request that fails returns
 * `{"Error": name}` and changes nothing.
 *
 * Behaviour the documentation leaves open follows QEMU's virtio-nsm and AWS's `nsm-check` test (research
 * §1.5–1.6): undecodable or unknown request → InvalidOperation; index ≥ 32 → InvalidIndex; extending or
 * locking a locked PCR → ReadOnlyIndex; LockPCRs over already-locked PCRs succeeds.
 */
import { EmuError, assert } from '../errors.ts';
import { PCR_LENGTH, decodeCborStrict, encodeCbor, pcrExtend, type RandomSource } from '../crypto/index.ts';
import {
  NSM_ATTESTATION_FIELD_BYTES_MAX,
  NSM_PCR_COUNT,
  NSM_PLATFORM_PCR_COUNT,
  NSM_RANDOM_BYTES,
  NSM_REQUEST_BYTES_MAX,
  NSM_RESPONSE_BYTES_MAX,
  NsmFailure,
  interpretNsmRequest,
  type NsmErrorName,
  type NsmRequest,
  type NsmVersions,
} from './nsm-wire.ts';

/** Implemented by the platform, which holds the signing key; the NSM only decides what goes in. */
export interface AttestationIssuer {
  readonly moduleId: string;
  issue(request: {
    /** Every locked PCR, ascending. */
    pcrs: ReadonlyMap<number, Uint8Array>;
    publicKey: Uint8Array | null;
    userData: Uint8Array | null;
    nonce: Uint8Array | null;
  }): Uint8Array;
}

export interface NsmDeviceOptions {
  readonly moduleId: string;
  /** PCR values for 0..15 computed at boot (missing entries are zero). Debug mode passes zeroed 0/1/2/8. */
  readonly measured: ReadonlyMap<number, Uint8Array>;
  readonly issuer: AttestationIssuer;
  readonly random: RandomSource;
  readonly versions?: NsmVersions;
  /** False is a negative control (PA-10): extending or locking a locked PCR then succeeds. Default true. */
  readonly lockEnforced?: boolean;
}

export const NSM_DEFAULT_VERSIONS: NsmVersions = { major: 1, minor: 0, patch: 0 };

export class NsmDevice {
  readonly #moduleId: string;
  readonly #issuer: AttestationIssuer;
  readonly #random: RandomSource;
  readonly #versions: NsmVersions;
  readonly #pcrs: Uint8Array[] = [];
  readonly #locked: boolean[] = [];
  readonly #lockEnforced: boolean;

  constructor(options: NsmDeviceOptions) {
    assert(options.moduleId.length > 0, 'an NSM needs a module id');
    for (const [index, value] of options.measured) {
      assert(Number.isInteger(index) && index >= 0 && index < NSM_PLATFORM_PCR_COUNT, `measured PCR ${index} is not a platform PCR`);
      assert(value.length === PCR_LENGTH, `measured PCR ${index} is ${value.length} bytes`);
    }
    this.#moduleId = options.moduleId;
    this.#issuer = options.issuer;
    this.#random = options.random;
    this.#versions = options.versions ?? NSM_DEFAULT_VERSIONS;
    this.#lockEnforced = options.lockEnforced ?? true;
    for (let i = 0; i < NSM_PCR_COUNT; i++) {
      this.#pcrs.push(options.measured.get(i)?.slice() ?? new Uint8Array(PCR_LENGTH));
      this.#locked.push(i < NSM_PLATFORM_PCR_COUNT);
    }
  }

  /** The ioctl: request bytes in, response bytes out. Never throws for anything the enclave sends. */
  request(bytes: Uint8Array): Uint8Array {
    let response: unknown;
    try {
      response = this.#handle(this.#decode(bytes));
    } catch (error) {
      if (!(error instanceof NsmFailure)) throw error;
      response = new Map([['Error', error.errorName]]);
    }
    const encoded = encodeCbor(response);
    assert(encoded.length <= NSM_RESPONSE_BYTES_MAX, `NSM response of ${encoded.length} bytes exceeds the driver buffer`);
    return encoded;
  }

  #decode(bytes: Uint8Array): NsmRequest {
    if (bytes.length > NSM_REQUEST_BYTES_MAX) throw new NsmFailure('InputTooLarge', `request over ${NSM_REQUEST_BYTES_MAX} bytes`);
    let value: unknown;
    try {
      value = decodeCborStrict(bytes, 'NSM request', { maxBytes: NSM_REQUEST_BYTES_MAX, maxDepth: 4 });
    } catch (error) {
      if (error instanceof EmuError) throw new NsmFailure('InvalidOperation', error.message);
      throw error;
    }
    return interpretNsmRequest(value);
  }

  #index(index: number): number {
    if (index >= NSM_PCR_COUNT) throw new NsmFailure('InvalidIndex', `PCR ${index} does not exist`);
    return index;
  }

  #handle(request: NsmRequest): unknown {
    switch (request.kind) {
      case 'DescribePCR': {
        const i = this.#index(request.index);
        return variant('DescribePCR', [['lock', this.#locked[i]!], ['data', this.#pcrs[i]!.slice()]]);
      }
      case 'ExtendPCR': {
        const i = this.#index(request.index);
        if (this.#locked[i] && this.#lockEnforced) throw new NsmFailure('ReadOnlyIndex', `PCR ${i} is locked`);
        this.#pcrs[i] = pcrExtend(this.#pcrs[i]!, request.data);
        return variant('ExtendPCR', [['data', this.#pcrs[i]!.slice()]]);
      }
      case 'LockPCR': {
        const i = this.#index(request.index);
        if (this.#locked[i] && this.#lockEnforced) throw new NsmFailure('ReadOnlyIndex', `PCR ${i} is already locked`);
        this.#locked[i] = true;
        return 'LockPCR';
      }
      case 'LockPCRs': {
        if (request.range > NSM_PCR_COUNT) throw new NsmFailure('InvalidIndex', `range ${request.range} is over ${NSM_PCR_COUNT}`);
        for (let i = 0; i < request.range; i++) this.#locked[i] = true;
        return 'LockPCRs';
      }
      case 'DescribeNSM':
        return variant('DescribeNSM', [
          ['version_major', this.#versions.major],
          ['version_minor', this.#versions.minor],
          ['version_patch', this.#versions.patch],
          ['module_id', this.#moduleId],
          ['max_pcrs', NSM_PCR_COUNT],
          ['locked_pcrs', this.#lockedIndices()],
          ['digest', 'SHA384'],
        ]);
      case 'Attestation':
        return variant('Attestation', [['document', this.#attest(request)]]);
      case 'GetRandom': {
        const random = this.#random.bytes(NSM_RANDOM_BYTES);
        assert(random.length === NSM_RANDOM_BYTES, 'random source returned the wrong length');
        return variant('GetRandom', [['random', random]]);
      }
    }
  }

  #lockedIndices(): number[] {
    const out: number[] = [];
    for (let i = 0; i < NSM_PCR_COUNT; i++) if (this.#locked[i]) out.push(i);
    return out;
  }

  #attest(request: Extract<NsmRequest, { kind: 'Attestation' }>): Uint8Array {
    for (const [name, value] of [['user_data', request.userData], ['nonce', request.nonce], ['public_key', request.publicKey]] as const) {
      if (value !== null && value.length > NSM_ATTESTATION_FIELD_BYTES_MAX) {
        throw new NsmFailure('InputTooLarge', `${name} is over ${NSM_ATTESTATION_FIELD_BYTES_MAX} bytes`);
      }
    }
    // The document's CDDL requires public_key to be 1..1024 bytes when present.
    if (request.publicKey !== null && request.publicKey.length === 0) throw new NsmFailure('InvalidArgument', 'public_key is empty');
    const pcrs = new Map<number, Uint8Array>();
    for (const i of this.#lockedIndices()) pcrs.set(i, this.#pcrs[i]!.slice());
    try {
      return this.#issuer.issue({ pcrs, publicKey: request.publicKey, userData: request.userData, nonce: request.nonce });
    } catch (error) {
      // The platform failing to sign is the device's internal error, not the enclave's.
      if (error instanceof EmuError) throw new NsmFailure('InternalError', error.message);
      throw error;
    }
  }
}

function variant(name: string, fieldList: readonly (readonly [string, unknown])[]): Map<string, unknown> {
  return new Map([[name, new Map(fieldList)]]);
}

export type { NsmErrorName };

// The client is part of the NSM's contract (the enclave application's side of the ioctl).
export { NsmClient, type NsmTransport } from './nsm-client.ts';
