// SPDM 1.1 (DMTF DSP0274) GET_MEASUREMENTS request/response: strict parsing and verification of a signed
// measurement transcript, as NVIDIA Hopper GPUs produce it (research gpu-cc.md §1.3).
import { EmuError } from '../errors.ts';
import { equalBytes, toHex } from './bytes.ts';
import { p384Verify } from './ecdsa.ts';

export const SPDM_VERSION_11 = 0x11;
export const SPDM_GET_MEASUREMENTS = 0xe0;
export const SPDM_MEASUREMENTS = 0x60;
export const SPDM_NONCE_LENGTH = 32;
export const SPDM_REQUEST_LENGTH = 4 + SPDM_NONCE_LENGTH + 1;
export const SPDM_SIGNATURE_LENGTH = 96;
/** Bounds the parse: a real Hopper report is ~4.6 KB; SPDM's 3-byte record length caps it at 16 MiB anyway. */
export const SPDM_REPORT_BYTES_MAX = 1 << 20;

export interface SpdmMeasurementBlock {
  readonly index: number;
  readonly specification: number;
  /** DMTF measurement value type (bit 7: raw bit stream rather than digest). */
  readonly valueType: number;
  readonly value: Uint8Array;
}

export interface SpdmMeasurementsTranscript {
  readonly request: { readonly param1: number; readonly param2: number; readonly nonce: Uint8Array; readonly slot: number };
  readonly response: {
    readonly param1: number;
    readonly param2: number;
    readonly blocks: readonly SpdmMeasurementBlock[];
    readonly nonce: Uint8Array;
    readonly opaque: Uint8Array;
    readonly signature: Uint8Array;
  };
  /** request ‖ response-without-signature: the bytes the device signed (SPDM 1.1 L1/L2 for one exchange). */
  readonly signedBytes: Uint8Array;
}

function malformed(message: string, offset: number): EmuError {
  return new EmuError('SPDM_MALFORMED', message, { offset });
}

/** Little-endian field reader that refuses to run past the end. */
class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  take(n: number, what: string): Uint8Array {
    if (this.offset + n > this.bytes.length) {
      throw new EmuError('SPDM_TRUNCATED', `report ends inside ${what}`, { offset: this.offset, need: n });
    }
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  u8(what: string): number {
    return this.take(1, what)[0]!;
  }
  le(n: number, what: string): number {
    const b = this.take(n, what);
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i]!;
    return v;
  }
}

function parseBlocks(record: Uint8Array, count: number, base: number): SpdmMeasurementBlock[] {
  const r = new Reader(record);
  const blocks: SpdmMeasurementBlock[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const at = base + r.offset;
    const index = r.u8('measurement block index');
    const specification = r.u8('measurement specification');
    const size = r.le(2, 'measurement size');
    const body = r.take(size, 'measurement');
    // Only the DMTF specification (bit 0) defines the value layout below.
    if (specification !== 0x01) throw malformed(`block ${index}: measurement specification ${specification} is not DMTF`, at);
    if (index === 0 || index === 0xff || seen.has(index)) throw malformed(`block index ${index} is reserved or repeated`, at);
    seen.add(index);
    const b = new Reader(body);
    const valueType = b.u8('DMTF value type');
    const valueSize = b.le(2, 'DMTF value size');
    const value = b.take(valueSize, 'DMTF value');
    if (b.offset !== body.length) throw malformed(`block ${index}: measurement size ${size} ≠ DMTF value ${3 + valueSize}`, at);
    blocks.push({ index, specification, valueType, value: value.slice() });
  }
  if (r.offset !== record.length) throw malformed('measurement record length does not match its blocks', base + r.offset);
  return blocks;
}

/** Parses request (37 bytes) ‖ MEASUREMENTS response with a 96-byte P-384 signature; exact, no trailing bytes. */
export function parseSpdmMeasurements(report: Uint8Array): SpdmMeasurementsTranscript {
  if (report.length > SPDM_REPORT_BYTES_MAX) throw new EmuError('SPDM_TOO_LARGE', `report is ${report.length} bytes`);
  const r = new Reader(report);
  if (r.u8('request version') !== SPDM_VERSION_11) throw malformed('request is not SPDM 1.1', 0);
  if (r.u8('request code') !== SPDM_GET_MEASUREMENTS) throw malformed('request is not GET_MEASUREMENTS', 1);
  const reqParam1 = r.u8('request param1');
  const reqParam2 = r.u8('request param2');
  // Without bit 0 the device signs nothing and there is no nonce: this verifier only takes signed reports.
  if (reqParam1 !== 0x01) throw malformed(`request param1 ${reqParam1} does not ask for a signature`, 2);
  const reqNonce = r.take(SPDM_NONCE_LENGTH, 'request nonce').slice();
  const slot = r.u8('request slot');
  if (slot > 7) throw malformed(`slot ${slot} is out of range`, SPDM_REQUEST_LENGTH - 1);

  const responseStart = r.offset;
  if (r.u8('response version') !== SPDM_VERSION_11) throw malformed('response is not SPDM 1.1', responseStart);
  if (r.u8('response code') !== SPDM_MEASUREMENTS) throw malformed('response is not MEASUREMENTS', responseStart + 1);
  const param1 = r.u8('response param1');
  const param2 = r.u8('response param2');
  // param2 bits 0-3 carry the slot the signature was made with: it must be the one asked for.
  if ((param2 & 0x0f) !== slot) throw malformed(`response slot ${param2 & 0x0f} ≠ requested slot ${slot}`, responseStart + 3);
  const count = r.u8('number of blocks');
  const recordLength = r.le(3, 'measurement record length');
  const recordBase = r.offset;
  const blocks = parseBlocks(r.take(recordLength, 'measurement record'), count, recordBase);
  if (reqParam2 !== 0xff && count > 1) throw malformed('one measurement was asked for but several came back', recordBase);
  const nonce = r.take(SPDM_NONCE_LENGTH, 'response nonce').slice();
  const opaqueLength = r.le(2, 'opaque length');
  const opaque = r.take(opaqueLength, 'opaque data').slice();
  const signedEnd = r.offset;
  const signature = r.take(SPDM_SIGNATURE_LENGTH, 'signature').slice();
  if (r.offset !== report.length) {
    throw new EmuError('SPDM_TRAILING_BYTES', `${report.length - r.offset} bytes after the signature`, { offset: r.offset });
  }
  return {
    request: { param1: reqParam1, param2: reqParam2, nonce: reqNonce, slot },
    response: { param1, param2, blocks, nonce, opaque, signature },
    signedBytes: report.slice(0, signedEnd),
  };
}

export type MeasurementVerdict = 'match' | 'mismatch' | 'missing';

export interface SpdmVerification {
  readonly transcript: SpdmMeasurementsTranscript;
  readonly measurements: readonly { index: number; digest: string; reference?: string; verdict?: MeasurementVerdict }[];
}

/**
 * Checks the leaf's ECDSA P-384/SHA-384 signature over request ‖ response-without-signature, the nonce (the
 * requester's, echoed by nothing in 1.1, so it is the request nonce that must equal the expected one), and the
 * digests against references. The chain to the leaf is the caller's job (verifyCertificateChain).
 */
export function verifySpdmMeasurements(
  report: Uint8Array,
  leafP384PublicKey: Uint8Array,
  options: { readonly expectedNonce?: Uint8Array; readonly reference?: ReadonlyMap<number, string> } = {},
): SpdmVerification {
  const transcript = parseSpdmMeasurements(report);
  if (!p384Verify(transcript.response.signature, transcript.signedBytes, leafP384PublicKey)) {
    throw new EmuError('SPDM_BAD_SIGNATURE', 'the measurements signature does not verify with the leaf key');
  }
  if (options.expectedNonce !== undefined && !equalBytes(options.expectedNonce, transcript.request.nonce)) {
    throw new EmuError('SPDM_NONCE_MISMATCH', 'the request nonce is not the expected one');
  }
  const reference = options.reference;
  const measurements = transcript.response.blocks.map((b) => {
    const digest = toHex(b.value);
    if (reference === undefined) return { index: b.index, digest };
    const want = reference.get(b.index);
    if (want === undefined) return { index: b.index, digest };
    return { index: b.index, digest, reference: want, verdict: (want.toLowerCase() === digest ? 'match' : 'mismatch') as MeasurementVerdict };
  });
  if (reference !== undefined) {
    const present = new Set(transcript.response.blocks.map((b) => b.index));
    for (const [index, want] of reference) {
      if (!present.has(index)) measurements.push({ index, digest: '', reference: want, verdict: 'missing' });
    }
  }
  return { transcript, measurements };
}

