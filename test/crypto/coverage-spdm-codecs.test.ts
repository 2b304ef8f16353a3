// The strict SPDM decoders refuse each malformed field with SPDM_MALFORMED; every case starts from a message
// the encoder produced (and the decoder accepts) and changes exactly one thing.
import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import {
  SPDM_V11,
  SpdmAlg,
  SpdmCode,
  SUMMARY_NONE,
  SUMMARY_TCB,
  buildCertChain,
  decodeAlgorithms,
  decodeCapabilities,
  decodeDigests,
  decodeFinish,
  decodeKeyExchange,
  decodeKeyExchangeRsp,
  decodeNegotiateAlgorithms,
  decodeSpdmError,
  decodeVendorDefined,
  encodeAlgorithms,
  encodeCapabilities,
  encodeDigests,
  encodeKeyExchange,
  encodeKeyExchangeRspPartial,
  encodeNegotiateAlgorithms,
  encodeSpdmError,
  encodeVendorDefined,
  FINISH_HEADER,
  concatBytes,
  splitCertChain,
} from '../../src/crypto/index.ts';

function malformedMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isEmuError(error, 'SPDM_MALFORMED')) return error.message;
    throw error;
  }
  throw new Error('expected SPDM_MALFORMED, but the decoder accepted the message');
}

function withByte(m: Uint8Array, at: number, value: number): Uint8Array {
  const copy = m.slice();
  copy[at] = value;
  return copy;
}

const tables = {
  dhe: SpdmAlg.DHE_SECP384R1,
  aead: SpdmAlg.AEAD_AES256_GCM,
  reqBaseAsym: SpdmAlg.REQ_ASYM_ECDSA_P384,
  keySchedule: SpdmAlg.KEY_SCHEDULE_SPDM,
};
const negotiate = encodeNegotiateAlgorithms({
  measurementSpec: SpdmAlg.MEAS_SPEC_DMTF,
  baseAsym: SpdmAlg.BASE_ASYM_ECDSA_P384,
  baseHash: SpdmAlg.BASE_HASH_SHA384,
  tables,
});
const algorithms = encodeAlgorithms({
  measurementSpec: SpdmAlg.MEAS_SPEC_DMTF,
  measurementHash: SpdmAlg.MEAS_HASH_SHA384,
  baseAsym: SpdmAlg.BASE_ASYM_ECDSA_P384,
  baseHash: SpdmAlg.BASE_HASH_SHA384,
  tables,
});
// NEGOTIATE_ALGORITHMS: 32 fixed bytes then 4-byte tables; ExtAsymCount at 28. ALGORITHMS: 36 fixed; ExtAsymSelCount at 32.
const NEGOTIATE_TABLES_AT = 32;
const ALGORITHMS_TABLES_AT = 36;

describe('SPDM connection-phase decoders refuse one-field changes', () => {
  it('the unmodified messages decode to what was encoded', () => {
    expect(decodeNegotiateAlgorithms(negotiate).tables).toEqual(tables);
    expect(decodeAlgorithms(algorithms).tables).toEqual(tables);
    expect(decodeCapabilities(encodeCapabilities(SpdmCode.CAPABILITIES, 12, 0x42), SpdmCode.CAPABILITIES)).toEqual({ ctExponent: 12, flags: 0x42 });
  });

  it('header: wrong request code and wrong version', () => {
    const caps = encodeCapabilities(SpdmCode.CAPABILITIES, 12, 0);
    expect(malformedMessage(() => decodeCapabilities(caps, SpdmCode.GET_CAPABILITIES))).toMatch(/code 0x61 where 0xe1/);
    expect(malformedMessage(() => decodeCapabilities(withByte(caps, 0, 0x12), SpdmCode.CAPABILITIES))).toMatch(/version 0x12 where 0x11/);
  });

  it('NEGOTIATE_ALGORITHMS: over 128 bytes, Length mismatch, external entries', () => {
    expect(malformedMessage(() => decodeNegotiateAlgorithms(new Uint8Array(129)))).toMatch(/longer than 128/);
    expect(malformedMessage(() => decodeNegotiateAlgorithms(withByte(negotiate, 4, negotiate[4]! + 1)))).toMatch(/Length does not match/);
    // An ExtAsymCount of 1 makes the decoder skip 4 bytes of extended algorithms, misaligning the tables.
    const withExt = withByte(negotiate, 28, 1);
    expect(() => decodeNegotiateAlgorithms(withExt)).toThrow(expect.objectContaining({ code: 'SPDM_MALFORMED' }));
  });

  it('algorithm tables: AlgCount other than 0x20, and types repeated, out of order or unknown', () => {
    expect(malformedMessage(() => decodeNegotiateAlgorithms(withByte(negotiate, NEGOTIATE_TABLES_AT + 1, 0x21)))).toMatch(/AlgCount 0x21/);
    // Second table claims the first table's type (DHE = 2): a repeat.
    expect(malformedMessage(() => decodeAlgorithms(withByte(algorithms, ALGORITHMS_TABLES_AT + 4, 2)))).toMatch(/repeated, out of order or unknown/);
    // Last table claims type 6, past KEY_SCHEDULE.
    expect(malformedMessage(() => decodeAlgorithms(withByte(algorithms, ALGORITHMS_TABLES_AT + 12, 6)))).toMatch(/table type 6/);
    // First table claims type 1, below DHE.
    expect(malformedMessage(() => decodeAlgorithms(withByte(algorithms, ALGORITHMS_TABLES_AT, 1)))).toMatch(/table type 1/);
  });

  it('ALGORITHMS: Length mismatch and a selected extended algorithm', () => {
    expect(malformedMessage(() => decodeAlgorithms(withByte(algorithms, 4, algorithms[4]! - 1)))).toMatch(/Length does not match/);
    expect(malformedMessage(() => decodeAlgorithms(withByte(algorithms, 32, 1)))).toMatch(/extended algorithms selected/);
    expect(malformedMessage(() => decodeAlgorithms(withByte(algorithms, 33, 1)))).toMatch(/extended algorithms selected/);
  });

  it('DIGESTS: a mask without slot 0 is refused even when the digest count matches', () => {
    const digest = new Uint8Array(48).fill(7);
    expect(decodeDigests(encodeDigests(digest))).toEqual([digest]);
    expect(malformedMessage(() => decodeDigests(withByte(encodeDigests(digest), 3, 0x02)))).toMatch(/slot 0 is not provisioned/);
  });

  it('ERROR: unknown version and a non-ERROR code', () => {
    const error = encodeSpdmError(0x01, 0, Uint8Array.of(9));
    expect(decodeSpdmError(error)).toEqual({ code: 0x01, data: 0, extended: Uint8Array.of(9) });
    expect(decodeSpdmError(withByte(error, 0, SPDM_V11 + 2)).code).toBe(0x01);
    expect(malformedMessage(() => decodeSpdmError(withByte(error, 0, SPDM_V11 + 3)))).toMatch(/unknown version/);
    expect(malformedMessage(() => decodeSpdmError(withByte(error, 1, SpdmCode.DIGESTS)))).toMatch(/not an ERROR/);
  });

  it('VENDOR_DEFINED: another standard, id length or vendor id is refused', () => {
    const code = SpdmCode.VENDOR_DEFINED_RESPONSE;
    const m = encodeVendorDefined(code, Uint8Array.of(1, 2, 3));
    expect(decodeVendorDefined(m, code)).toEqual(Uint8Array.of(1, 2, 3));
    for (const [at, value] of [[4, 4], [6, 4], [7, 0xfe]] as const) {
      expect(malformedMessage(() => decodeVendorDefined(withByte(m, at, value), code))).toMatch(/not the emulated vendor/);
    }
  });
});

describe('SPDM session-phase decoders', () => {
  const keyExchange = {
    summaryType: SUMMARY_TCB,
    slot: 0,
    reqSessionId: 0x1234,
    random: new Uint8Array(32).fill(1),
    dhe: new Uint8Array(96).fill(2),
    opaque: Uint8Array.of(5, 6),
  };
  // Offsets: header 4, ReqSessionID 2, reserved 2, random 32, dhe 96 → OpaqueDataLength at 136.
  const OPAQUE_LENGTH_AT = 136;

  it('KEY_EXCHANGE: opaque over 1024 bytes and an unknown summary type', () => {
    const m = encodeKeyExchange(keyExchange);
    expect(decodeKeyExchange(m)).toEqual(keyExchange);
    const longOpaque = encodeKeyExchange({ ...keyExchange, opaque: new Uint8Array(1025) });
    expect(longOpaque[OPAQUE_LENGTH_AT]! | (longOpaque[OPAQUE_LENGTH_AT + 1]! << 8)).toBe(1025);
    expect(malformedMessage(() => decodeKeyExchange(longOpaque))).toMatch(/opaque data over 1024/);
    expect(decodeKeyExchange(encodeKeyExchange({ ...keyExchange, opaque: new Uint8Array(1024) })).opaque).toHaveLength(1024);
    expect(malformedMessage(() => decodeKeyExchange(withByte(m, 2, 0x02)))).toMatch(/summary hash type 2/);
  });

  it('KEY_EXCHANGE_RSP: opaque over 1024 bytes', () => {
    const rsp = {
      heartbeatPeriod: 0,
      rspSessionId: 0x5678,
      mutAuthRequested: 0,
      reqSlotIdParam: 0,
      random: new Uint8Array(32).fill(3),
      dhe: new Uint8Array(96).fill(4),
      summaryHash: new Uint8Array(0),
      opaque: new Uint8Array(1025),
    };
    const tail = new Uint8Array(96 + 48);
    expect(malformedMessage(() => decodeKeyExchangeRsp(concatBytes(encodeKeyExchangeRspPartial(rsp), tail), false))).toMatch(/opaque data over 1024/);
    const ok = decodeKeyExchangeRsp(concatBytes(encodeKeyExchangeRspPartial({ ...rsp, opaque: Uint8Array.of(1) }), tail), false);
    expect(ok.opaque).toEqual(Uint8Array.of(1));
    expect(ok.summaryHash).toHaveLength(0);
  });

  it('FINISH: a requested signature or a nonzero requester slot is refused', () => {
    const finish = concatBytes(FINISH_HEADER(), new Uint8Array(48).fill(9));
    expect(decodeFinish(finish).verifyData).toEqual(new Uint8Array(48).fill(9));
    expect(malformedMessage(() => decodeFinish(withByte(finish, 2, 1)))).toMatch(/mutual auth/);
    expect(malformedMessage(() => decodeFinish(withByte(finish, 3, 1)))).toMatch(/requester slot/);
  });

  it('accepts SUMMARY_NONE', () => {
    expect(decodeKeyExchange(encodeKeyExchange({ ...keyExchange, summaryType: SUMMARY_NONE })).summaryType).toBe(SUMMARY_NONE);
  });
});

describe('SPDM certificate chain buffer', () => {
  const short = Uint8Array.of(0x30, 0x03, 1, 2, 3);
  // A 200-byte body needs the long form 0x81 0xC8.
  const long = concatBytes(Uint8Array.of(0x30, 0x81, 200), new Uint8Array(200).fill(0xaa));

  it('splits short- and long-form DER elements, root first', () => {
    expect(splitCertChain(buildCertChain([short, long]))).toEqual([short, long]);
  });

  function withLength(chain: Uint8Array): Uint8Array {
    return withByte(withByte(chain, 0, chain.length & 0xff), 1, chain.length >>> 8);
  }

  it('refuses a short header, nonzero reserved bytes, and a chain without certificates', () => {
    expect(malformedMessage(() => splitCertChain(new Uint8Array(51)))).toMatch(/shorter than its header/);
    expect(malformedMessage(() => splitCertChain(withByte(buildCertChain([short]), 2, 1)))).toMatch(/reserved bytes/);
    expect(malformedMessage(() => splitCertChain(withLength(buildCertChain([short]).subarray(0, 52))))).toMatch(/holds no certificate/);
  });

  it('refuses more than 16 certificates', () => {
    const seventeen = buildCertChain(Array.from({ length: 16 }, () => short));
    const padded = withLength(concatBytes(seventeen, short));
    expect(malformedMessage(() => splitCertChain(padded))).toMatch(/too many certificates/);
  });

  it('refuses a non-SEQUENCE, a bad long-form length and a certificate running past the end', () => {
    const base = buildCertChain([short]);
    expect(malformedMessage(() => splitCertChain(withByte(base, 52, 0x31)))).toMatch(/expected a DER SEQUENCE/);
    expect(malformedMessage(() => splitCertChain(withLength(concatBytes(base, Uint8Array.of(0x30)))))).toMatch(/expected a DER SEQUENCE/);
    expect(malformedMessage(() => splitCertChain(withLength(concatBytes(base, Uint8Array.of(0x30, 0x80)))))).toMatch(/bad DER length/);
    expect(malformedMessage(() => splitCertChain(withLength(concatBytes(base, Uint8Array.of(0x30, 0x84, 0, 0, 0, 1)))))).toMatch(/bad DER length/);
    expect(malformedMessage(() => splitCertChain(withLength(concatBytes(base, Uint8Array.of(0x30, 0x82, 0)))))).toMatch(/bad DER length/);
    expect(malformedMessage(() => splitCertChain(withByte(base, 53, 0x04)))).toMatch(/runs past the chain/);
  });
});
