// GET_MEASUREMENTS / MEASUREMENTS as a responder builds them: exactly the layout parseSpdmMeasurements reads (the
// NVIDIA Hopper report), signed raw r‖s over request ‖ response-without-signature.
import { assert } from '../errors.ts';
import { concatBytes } from './bytes.ts';
import { p384Sign } from './ecdsa.ts';
import { sha384 } from './hash.ts';
import { SPDM_HASH_BYTES, SPDM_NONCE_BYTES, SPDM_V11, SpdmCode, SpdmReader, SpdmWriter, header, malformed } from './spdm-wire.ts';

export interface MeasurementBlockInput {
  readonly index: number;
  readonly valueType: number;
  readonly digest: Uint8Array;
}

export const MEASUREMENT_BLOCKS_MAX = 254;
/** DSP0274 1.1 caps OpaqueLength at 1024. */
export const MEASUREMENT_OPAQUE_BYTES_MAX = 1024;
export const MEAS_OP_COUNT = 0x00;
export const MEAS_OP_ALL = 0xff;

export interface GetMeasurementsRequest {
  readonly signatureRequested: boolean;
  /** 0 = count only, 1..254 = one index, 0xFF = all. */
  readonly operation: number;
  readonly nonce?: Uint8Array;
  readonly slot?: number;
}

export function encodeGetMeasurements(req: GetMeasurementsRequest): Uint8Array {
  const w = header(SPDM_V11, SpdmCode.GET_MEASUREMENTS, req.signatureRequested ? 1 : 0, req.operation);
  if (req.signatureRequested) {
    assert(req.nonce !== undefined && req.nonce.length === SPDM_NONCE_BYTES, 'a signed GET_MEASUREMENTS carries a 32-byte nonce');
    w.bytes(req.nonce).u8(req.slot ?? 0);
  }
  return w.done();
}

/** In 1.1 the nonce and slot are present exactly when a signature is requested. */
export function decodeGetMeasurements(m: Uint8Array): GetMeasurementsRequest {
  const r = new SpdmReader(m, 'GET_MEASUREMENTS');
  r.take(2, 'header');
  const param1 = r.u8('param1');
  const operation = r.u8('param2');
  if ((param1 & ~1) !== 0) malformed('GET_MEASUREMENTS: reserved attribute bits set');
  if (param1 === 0) {
    r.end();
    return { signatureRequested: false, operation };
  }
  const nonce = r.take(SPDM_NONCE_BYTES, 'nonce').slice();
  const slot = r.u8('SlotIDParam');
  r.end();
  return { signatureRequested: true, operation, nonce, slot };
}

function encodeBlock(b: MeasurementBlockInput): Uint8Array {
  assert(b.index >= 1 && b.index <= MEASUREMENT_BLOCKS_MAX, `measurement index ${b.index} is outside 1..254`);
  assert(b.digest.length === SPDM_HASH_BYTES, 'a measurement digest is SHA-384');
  assert((b.valueType & 0x80) === 0, 'digest measurements have bit 7 of the value type clear');
  return new SpdmWriter()
    .u8(b.index)
    .u8(0x01) // DMTF measurement specification
    .u16(3 + b.digest.length)
    .u8(b.valueType)
    .u16(b.digest.length)
    .bytes(b.digest)
    .done();
}

/** The blocks a given operation selects, in index order; null when the one asked-for index does not exist. */
export function selectBlocks(blocks: readonly MeasurementBlockInput[], operation: number): MeasurementBlockInput[] | null {
  const sorted = [...blocks].sort((a, b) => a.index - b.index);
  if (operation === MEAS_OP_COUNT) return [];
  if (operation === MEAS_OP_ALL) return sorted;
  const one = sorted.find((b) => b.index === operation);
  return one === undefined ? null : [one];
}

/**
 * MEASUREMENTS for `request` (the exact request bytes): records, the responder's nonce, opaque data, and when a
 * signature was requested the raw r‖s over request ‖ response-without-signature.
 */
export function buildMeasurementsResponse(options: {
  readonly requestBytes: Uint8Array;
  readonly request: GetMeasurementsRequest;
  readonly blocks: readonly MeasurementBlockInput[];
  readonly totalIndices: number;
  readonly responderNonce: Uint8Array;
  readonly opaque: Uint8Array;
  readonly signingKey?: Uint8Array;
}): Uint8Array {
  const { request, blocks } = options;
  assert(blocks.length <= MEASUREMENT_BLOCKS_MAX, 'too many measurement blocks');
  assert(options.opaque.length <= MEASUREMENT_OPAQUE_BYTES_MAX, 'opaque data over 1024 bytes');
  assert(options.responderNonce.length === SPDM_NONCE_BYTES, 'the responder nonce is 32 bytes');
  const record = concatBytes(...blocks.map(encodeBlock));
  const param1 = request.operation === MEAS_OP_COUNT ? options.totalIndices : 0;
  const body = header(SPDM_V11, SpdmCode.MEASUREMENTS, param1, request.slot ?? 0)
    .u8(blocks.length)
    .u24(record.length)
    .bytes(record)
    .bytes(options.responderNonce)
    .u16(options.opaque.length)
    .bytes(options.opaque)
    .done();
  if (!request.signatureRequested) return body;
  assert(options.signingKey !== undefined, 'a signed MEASUREMENTS needs the leaf key');
  return concatBytes(body, p384Sign(concatBytes(options.requestBytes, body), options.signingKey));
}

/** DSP0274 1.1 measurement summary hash: SHA-384 over the concatenated measurement blocks it covers. */
export function measurementSummaryHash(blocks: readonly MeasurementBlockInput[]): Uint8Array {
  const sorted = [...blocks].sort((a, b) => a.index - b.index);
  return sha384(concatBytes(...sorted.map(encodeBlock)));
}
