// Round-trip laws (issue 7): decode(encode(x)) = x for every codec with an encoder, and encode(decode(b)) = b where
// the encoder is canonical. The SRD header has no byte codec of its own (it travels as a JS object inside
// Packet.header and only the secure-link header encoding turns it into bytes), so it is covered there.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttestationDocument,
  SpdmCode,
  decodeAlgorithms,
  decodeCapabilities,
  decodeCertificate,
  decodeCoseSign1,
  decodeDigests,
  decodeGetCertificate,
  decodeGetMeasurements,
  decodeKeyExchange,
  decodeKeyExchangeRsp,
  decodeNegotiateAlgorithms,
  decodeSpdmError,
  decodeVendorDefined,
  decodeVersion,
  decryptFramed,
  decodeCborStrict,
  encodeAlgorithms,
  encodeAttestationPayload,
  encodeCapabilities,
  encodeCbor,
  encodeCertificate,
  encodeCoseSign1Es384,
  encodeDigests,
  encodeGetCertificate,
  encodeGetMeasurements,
  encodeKeyExchange,
  encodeKeyExchangeRspPartial,
  encodeNegotiateAlgorithms,
  encodeSpdmError,
  encodeVendorDefined,
  encodeVersion,
  encryptFramed,
  buildMeasurementsResponse,
  concatBytes,
  p384KeyPair,
  parseAttestationDocument,
  parseSpdmMeasurements,
  signAttestationDocument,
  equalBytes,
} from '../../src/crypto/index.ts';
import { decodeHeader } from '../../src/crypto/frames-format.ts';
import {
  decodeEifLayout,
  decodeMetadata,
  decodeSignatureSection,
  encodeEifLayout,
  encodeMetadata,
  encodeSignatureSection,
  identityInfo,
  NsmClient,
  NsmDevice,
  readCpio,
  writeCpio,
  type AttestationIssuer,
  type EifSection,
} from '../../src/enclave/index.ts';
import { interpretNsmRequest } from '../../src/enclave/nsm-wire.ts';
import { encodeTransportHeader } from '../../src/efa/secure/header-encoding.ts';
import { isAckHeader, isDataHeader } from '../../src/efa/srd/header.ts';
import { blobHeader, encodeBlob, parseBlob } from '../../src/kms/ciphertext.ts';
import { Prng } from '../../src/sim/prng.ts';

const bytes = (maxLength: number, minLength = 0) => fc.uint8Array({ minLength, maxLength });
const fixed = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const optional = (arb: fc.Arbitrary<Uint8Array>) => fc.option(arb, { nil: null });
const RUNS = { numRuns: 60, seed: 7007 };
const SIGNED_RUNS = { numRuns: 15, seed: 7007 };

const signer = p384KeyPair(new Prng(1, 'properties-codecs'));

const docArb: fc.Arbitrary<AttestationDocument> = fc
  .record({
    moduleId: fc.string({ minLength: 1, maxLength: 60 }),
    timestamp: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    pcrs: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 31 }), fc.constantFrom(32, 48, 64), u8), {
      minLength: 1,
      maxLength: 32,
      selector: ([index]) => index,
    }),
    certificate: bytes(300, 1),
    cabundle: fc.array(bytes(200, 1), { minLength: 1, maxLength: 4 }),
    publicKey: optional(bytes(120, 1)),
    userData: optional(bytes(120)),
    nonce: optional(bytes(120)),
  })
  .map((r) => ({
    ...r,
    digest: 'SHA384' as const,
    pcrs: new Map([...r.pcrs].sort((a, b) => a[0] - b[0]).map(([i, len, fill]) => [i, new Uint8Array(len).fill(fill)] as const)),
  }));

describe('attestation document and COSE_Sign1', () => {
  it('parse(sign(doc)) = doc, and signing the parsed doc gives the same bytes (both map forms)', () => {
    fc.assert(
      fc.property(docArb, fc.constantFrom('indefinite' as const, 'definite' as const), (doc, form) => {
        const document = signAttestationDocument(doc, signer.privateKey, form);
        const parsed = parseAttestationDocument(document);
        expect(parsed.doc).toEqual(doc);
        expect(equalBytes(parsed.cose.payload, encodeAttestationPayload(parsed.doc, form))).toBe(true);
        // ECDSA here is deterministic (RFC 6979), so the whole document is canonical.
        expect(equalBytes(signAttestationDocument(parsed.doc, signer.privateKey, form), document)).toBe(true);
      }),
      SIGNED_RUNS,
    );
  });

  it('decodeCoseSign1(encode(payload)) carries the payload, the ES384 header and a re-encodable envelope', () => {
    fc.assert(
      fc.property(bytes(2000), (payload) => {
        const envelope = encodeCoseSign1Es384(payload, signer.privateKey);
        const cose = decodeCoseSign1(envelope);
        expect(cose.payload).toEqual(payload);
        expect(cose.alg).toBe(-35);
        expect(cose.tagged).toBe(false);
        expect(cose.unprotected.size).toBe(0);
        expect(cose.signature.length).toBe(96);
        expect(equalBytes(encodeCoseSign1Es384(cose.payload, signer.privateKey), envelope)).toBe(true);
      }),
      SIGNED_RUNS,
    );
  });
});

const nsmRequestArb = fc.oneof(
  fc.record({ kind: fc.constant('DescribePCR' as const), index: u16 }),
  fc.record({ kind: fc.constant('ExtendPCR' as const), index: u16, data: bytes(200) }),
  fc.record({ kind: fc.constant('LockPCR' as const), index: u16 }),
  fc.record({ kind: fc.constant('LockPCRs' as const), range: u16 }),
  fc.record({ kind: fc.constant('DescribeNSM' as const) }),
  fc.record({ kind: fc.constant('GetRandom' as const) }),
  fc.record({ kind: fc.constant('Attestation' as const), userData: optional(bytes(100)), nonce: optional(bytes(100)), publicKey: optional(bytes(100)) }),
);

/** The serde shape the real client sends (unit variants as text, struct variants as a one-entry map). */
function nsmWireValue(r: { readonly kind: string }): unknown {
  if (r.kind === 'DescribeNSM' || r.kind === 'GetRandom') return r.kind;
  const { kind, ...rest } = r;
  const renamed: [string, unknown][] = Object.entries(rest).map(([k, v]) => [
    k === 'userData' ? 'user_data' : k === 'publicKey' ? 'public_key' : k,
    v,
  ]);
  return new Map([[kind, new Map(renamed)]]);
}

describe('NSM request/response messages', () => {
  it('interpret(decode(encode(request))) = request for every variant', () => {
    fc.assert(
      fc.property(nsmRequestArb, (request) => {
        const wire = encodeCbor(nsmWireValue(request));
        expect(interpretNsmRequest(decodeCborStrict(wire, 'NSM request'))).toEqual(request);
      }),
      RUNS,
    );
  });

  it('responses carry what was asked through client and device: extend/describe values, attestation fields', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 31 }), bytes(300), optional(bytes(200)), optional(bytes(200)), optional(bytes(200, 1)), (index, data, userData, nonce, publicKey) => {
        const seen: unknown[] = [];
        const issuer: AttestationIssuer = {
          moduleId: 'i-0123456789abcdef0-enc0123456789abcdef',
          issue(request) {
            seen.push(request);
            return concatBytes(userData ?? new Uint8Array(0), nonce ?? new Uint8Array(0), Uint8Array.of(0xd0));
          },
        };
        const device = new NsmDevice({ moduleId: issuer.moduleId, measured: new Map(), issuer, random: new Prng(3, 'nsm') });
        const client = new NsmClient((b) => device.request(b));
        const extended = client.extendPcr(index, data);
        expect(client.describePcr(index)).toEqual({ lock: false, data: extended });
        const doc = client.attestation({ ...(userData && { userData }), ...(nonce && { nonce }), ...(publicKey && { publicKey }) });
        expect(doc).toEqual(concatBytes(userData ?? new Uint8Array(0), nonce ?? new Uint8Array(0), Uint8Array.of(0xd0)));
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({ userData, nonce, publicKey });
      }),
      RUNS,
    );
  });
});

const tablesArb = fc.record({ dhe: u16, aead: u16, reqBaseAsym: u16, keySchedule: u16 });

describe('SPDM message codecs', () => {
  it('connection phase: VERSION, CAPABILITIES, NEGOTIATE_ALGORITHMS, ALGORITHMS', () => {
    fc.assert(
      fc.property(
        fc.array(u16, { maxLength: 255 }),
        fc.constantFrom(SpdmCode.GET_CAPABILITIES, SpdmCode.CAPABILITIES),
        u8,
        u32,
        fc.record({ measurementSpec: u8, baseAsym: u32, baseHash: u32, tables: tablesArb }),
        fc.record({ measurementSpec: u8, measurementHash: u32, baseAsym: u32, baseHash: u32, tables: tablesArb }),
        (entries, code, ctExponent, flags, negotiate, algorithms) => {
          expect(decodeVersion(encodeVersion(entries))).toEqual(entries);
          expect(decodeCapabilities(encodeCapabilities(code, ctExponent, flags), code)).toEqual({ ctExponent, flags });
          const n = encodeNegotiateAlgorithms(negotiate);
          expect(decodeNegotiateAlgorithms(n)).toEqual(negotiate);
          expect(encodeNegotiateAlgorithms(decodeNegotiateAlgorithms(n))).toEqual(n);
          expect(decodeAlgorithms(encodeAlgorithms(algorithms))).toEqual(algorithms);
        },
      ),
      RUNS,
    );
  });

  it('DIGESTS, GET_CERTIFICATE, CERTIFICATE, ERROR, VENDOR_DEFINED', () => {
    fc.assert(
      fc.property(
        fixed(48),
        fc.integer({ min: 0, max: 15 }),
        u16,
        u16,
        bytes(1024),
        fc.tuple(u8, u8, bytes(64)),
        fc.constantFrom(SpdmCode.VENDOR_DEFINED_REQUEST, SpdmCode.VENDOR_DEFINED_RESPONSE),
        bytes(2048),
        (digest, slot, offset, length, portion, [errCode, errData, extended], vendorCode, payload) => {
          expect(decodeDigests(encodeDigests(digest))).toEqual([digest]);
          expect(decodeGetCertificate(encodeGetCertificate(slot, offset, length))).toEqual({ slot, offset, length });
          expect(decodeCertificate(encodeCertificate(slot, portion, length))).toEqual({ slot, portion, remainder: length });
          expect(decodeSpdmError(encodeSpdmError(errCode, errData, extended))).toEqual({ code: errCode, data: errData, extended });
          expect(decodeVendorDefined(encodeVendorDefined(vendorCode, payload), vendorCode)).toEqual(payload);
        },
      ),
      RUNS,
    );
  });

  it('GET_MEASUREMENTS, KEY_EXCHANGE and KEY_EXCHANGE_RSP', () => {
    const requestArb = fc.oneof(
      fc.record({ signatureRequested: fc.constant(false), operation: u8 }),
      fc.record({ signatureRequested: fc.constant(true), operation: u8, nonce: fixed(32), slot: u8 }),
    );
    const keyExchangeArb = fc.record({
      summaryType: fc.constantFrom(0, 1, 0xff),
      slot: u8,
      reqSessionId: u16,
      random: fixed(32),
      dhe: fixed(96),
      opaque: bytes(1024),
    });
    const rspArb = fc.record({
      heartbeatPeriod: u8,
      rspSessionId: u16,
      mutAuthRequested: u8,
      reqSlotIdParam: u8,
      random: fixed(32),
      dhe: fixed(96),
      summaryHash: fc.oneof(fixed(0), fixed(48)),
      opaque: bytes(1024),
    });
    fc.assert(
      fc.property(requestArb, keyExchangeArb, rspArb, fixed(96), fixed(48), (request, keyExchange, rsp, signature, verifyData) => {
        expect(decodeGetMeasurements(encodeGetMeasurements(request))).toEqual(request);
        expect(decodeKeyExchange(encodeKeyExchange(keyExchange))).toEqual(keyExchange);
        const partial = encodeKeyExchangeRspPartial(rsp);
        const decoded = decodeKeyExchangeRsp(concatBytes(partial, signature, verifyData), rsp.summaryHash.length > 0);
        expect(decoded).toEqual({ ...rsp, partial, signature, verifyData });
      }),
      RUNS,
    );
  });

  it('MEASUREMENTS: parseSpdmMeasurements(request ‖ build(...)) returns the blocks, nonces and opaque data', () => {
    const blocksArb = fc.uniqueArray(fc.record({ index: fc.integer({ min: 1, max: 254 }), valueType: fc.integer({ min: 0, max: 0x7f }), digest: fixed(48) }), {
      minLength: 1,
      maxLength: 8,
      selector: (b) => b.index,
    });
    fc.assert(
      fc.property(blocksArb, fixed(32), fixed(32), bytes(1024), fc.integer({ min: 0, max: 7 }), (blocks, nonce, responderNonce, opaque, slot) => {
        const request = { signatureRequested: true, operation: 0xff, nonce, slot };
        const requestBytes = encodeGetMeasurements(request);
        const response = buildMeasurementsResponse({ requestBytes, request, blocks, totalIndices: blocks.length, responderNonce, opaque, signingKey: signer.privateKey });
        const t = parseSpdmMeasurements(concatBytes(requestBytes, response));
        expect(t.request).toEqual({ param1: 1, param2: 0xff, nonce, slot });
        expect(t.response.blocks.map((b) => ({ index: b.index, valueType: b.valueType, digest: b.value }))).toEqual(blocks);
        expect(t.response.nonce).toEqual(responderNonce);
        expect(t.response.opaque).toEqual(opaque);
        expect(equalBytes(t.signedBytes, concatBytes(requestBytes, response.subarray(0, response.length - 96)))).toBe(true);
      }),
      SIGNED_RUNS,
    );
  });
});

const sectionArb: fc.Arbitrary<EifSection> = fc.record({
  type: fc.constantFrom(1, 2, 3, 4, 5) as fc.Arbitrary<EifSection['type']>,
  flags: u16,
  data: bytes(300),
});

describe('EIF', () => {
  it('decodeEifLayout(encode(input)) = input with a matching CRC, and the bytes re-encode identically', () => {
    fc.assert(
      fc.property(
        fc.array(sectionArb, { minLength: 2, maxLength: 32 }),
        u16,
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (sections, flags, defaultMemBytes, defaultCpus) => {
          const image = encodeEifLayout({ sections, flags, defaultMemBytes, defaultCpus });
          const layout = decodeEifLayout(image);
          expect(layout).toEqual({ version: 4, flags, defaultMemBytes, defaultCpus, sections, crcStored: layout.crcComputed, crcComputed: layout.crcComputed });
          expect(equalBytes(encodeEifLayout(layout), image)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('metadata and signature sections round-trip', () => {
    const jsonValue = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null));
    const customArb = fc.option(fc.dictionary(fc.string({ maxLength: 10 }).filter((k) => k !== '__proto__'), jsonValue, { maxKeys: 6 }), { nil: null });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 20 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        customArb,
        bytes(2000),
        bytes(500),
        (name, version, buildTimeMs, custom, certificatePem, signature) => {
          const info = identityInfo({ name, version, buildTimeMs, custom });
          const encoded = encodeMetadata(info);
          expect(decodeMetadata(encoded)).toEqual(info);
          expect(equalBytes(encodeMetadata(decodeMetadata(encoded)), encoded)).toBe(true);
          const section = encodeSignatureSection({ certificatePem, signature });
          expect(decodeSignatureSection(section)).toEqual({ certificatePem, signature });
        },
      ),
      RUNS,
    );
  });
});

const segment = fc.stringMatching(/^[a-z0-9_-][a-z0-9_.-]{0,7}$/).filter((s) => s !== '.' && s !== '..');
const cpioFilesArb = fc
  .uniqueArray(fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')), { maxLength: 12 })
  // A path may not be both a file and another file's directory.
  .map((paths) => paths.filter((p) => !paths.some((q) => q.startsWith(`${p}/`))))
  .chain((paths) => fc.tuple(...paths.map((path) => bytes(200).map((data) => ({ path, data })))));

describe('cpio archive', () => {
  it('readCpio(writeCpio(files)) holds each file once with its data plus its parent directories; rewriting is identical', () => {
    fc.assert(
      fc.property(cpioFilesArb, (files) => {
        const archive = writeCpio(files);
        const entries = readCpio(archive);
        const read = entries.filter((e) => e.kind === 'file');
        expect(new Map(read.map((e) => [e.path, e.data]))).toEqual(new Map(files.map((f) => [f.path, f.data])));
        expect(read).toHaveLength(files.length);
        const dirs = new Set(files.flatMap((f) => f.path.split('/').slice(0, -1).map((_, i, s) => s.slice(0, i + 1).join('/'))));
        expect(new Set(entries.filter((e) => e.kind === 'directory').map((e) => e.path))).toEqual(dirs);
        expect(equalBytes(writeCpio(read.map((e) => ({ path: e.path, data: e.data }))), archive)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('weight frames', () => {
  it('decryptFramed(encryptFramed(x)) = x for any size, frame length and AAD; the header carries id and frame length', () => {
    fc.assert(
      // A length, not a byte array: fast-check keeps generated arrays short (every message would be one frame) and
      // shrinks long ones slowly; the bytes themselves come from the seed.
      fc.property(fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 1024, max: 4096 }), bytes(64), fc.integer({ min: 1, max: 1_000_000 }), (length, frameLength, aad, seed) => {
        const plaintext = new Prng(seed, 'frames-plaintext').bytes(length);
        const key = new Prng(seed, 'frames-key').bytes(32);
        const sealed = encryptFramed(plaintext, key, { random: new Prng(seed, 'frames'), frameLength, aad });
        expect(decryptFramed(sealed, key, aad)).toEqual(plaintext);
        const header = decodeHeader(sealed);
        expect(header.layout.frameLength).toBe(frameLength);
        expect(header.layout.sealedLength).toBe(sealed.length);
        // Same inputs, same randomness: the same bytes.
        expect(equalBytes(encryptFramed(plaintext, key, { random: new Prng(seed, 'frames'), frameLength, aad }), sealed)).toBe(true);
      }),
      { numRuns: 40, seed: 7007 },
    );
  });
});

describe('KMS ciphertext blob', () => {
  it('parseBlob(encodeBlob(header, iv, sealed)) gives the parts back, and encodeBlob(parseBlob(b)) = b', () => {
    fc.assert(
      // KMS plaintexts are 1+ bytes, so a blob always holds at least one ciphertext byte before the tag.
      fc.property(fc.uuid({ version: 4 }), fixed(12), bytes(500, 17), (keyId, iv, sealed) => {
        const header = blobHeader(keyId);
        const blob = encodeBlob(header, iv, sealed);
        const parsed = parseBlob(blob);
        expect(parsed).toEqual({ keyId, header, iv, sealed });
        expect(equalBytes(encodeBlob(parsed.header, parsed.iv, parsed.sealed), blob)).toBe(true);
      }),
      RUNS,
    );
  });
});

// Plain data as a transport header may hold it (no NaN: the encoding keeps its bits, equality would not).
const leaf = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true }),
  fc.bigInt(),
  fc.string({ maxLength: 12 }),
  bytes(12),
);
// Few distinct values, so two random headers often nearly collide: that is where a lossy encoding shows.
const nearLeaf = fc.constantFrom<unknown>(undefined, null, false, true, 0, -0, 0.5, -0.5, 1, 1.5, 2, 0n, 1n, 2n, '', '0', '1', new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(1));
const headerArb = (leafArb: fc.Arbitrary<unknown>, keyArb: fc.Arbitrary<string>) =>
  fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(keyArb, tie('value'), { maxKeys: 4 }),
  })).value;
const headerValueArb = headerArb(leaf, fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'));
const nearHeaderArb = headerArb(nearLeaf, fc.constantFrom('a', 'b', 'ab', ''));

const srdDataArb = fc.record({
  t: fc.constant('srd-data' as const),
  psn: fc.nat(),
  basePsn: fc.nat(),
  ev: u16,
  pathSeq: fc.nat(),
  txPs: fc.nat(),
  msgId: fc.integer(),
  offset: fc.nat(),
  length: fc.nat(),
  msgBytes: fc.nat(),
});
const srdAckArb = fc.record({
  t: fc.constant('srd-ack' as const),
  psn: fc.nat(),
  cumPsn: fc.nat(),
  ev: u16,
  pathSeq: fc.nat(),
  txPs: fc.nat(),
  drop: fc.constantFrom(0, 1, 2),
});

/** Structural equality that tells -0 from 0 and bigint from number, as the encoding does. */
function sameHeader(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && isDeepEqual(a, b));
}
function isDeepEqual(a: object, b: object): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && equalBytes(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => sameHeader((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

describe('secure-link header encoding (no decoder: the law is injectivity) and the SRD header', () => {
  it('equal headers encode alike whatever the key order; different headers never do', () => {
    fc.assert(
      fc.property(headerValueArb, headerValueArb, (a, b) => {
        const ea = encodeTransportHeader(a);
        expect(equalBytes(encodeTransportHeader(structuredCloneReversed(a)), ea)).toBe(true);
        expect(equalBytes(encodeTransportHeader(b), ea)).toBe(sameHeader(a, b));
      }),
      { numRuns: 200, seed: 7007 },
    );
    fc.assert(
      fc.property(fc.oneof(nearLeaf, nearHeaderArb), fc.oneof(nearLeaf, nearHeaderArb), (a, b) => {
        expect(equalBytes(encodeTransportHeader(a), encodeTransportHeader(b))).toBe(sameHeader(a, b));
      }),
      { numRuns: 600, seed: 7007 },
    );
  });

  it('every well-formed SRD header passes its guard, and two SRD headers encode alike only when equal', () => {
    fc.assert(
      fc.property(fc.oneof(srdDataArb, srdAckArb), fc.oneof(srdDataArb, srdAckArb), (a, b) => {
        expect(a.t === 'srd-data' ? isDataHeader(a) : isAckHeader(a)).toBe(true);
        expect(isDataHeader(a) && isAckHeader(a)).toBe(false);
        expect(equalBytes(encodeTransportHeader(a), encodeTransportHeader(b))).toBe(sameHeader(a, b));
        expect(equalBytes(encodeTransportHeader(a), encodeTransportHeader({ ...a, psn: a.psn + 1 }))).toBe(false);
      }),
      RUNS,
    );
  });
});

/** The same plain data with every object's keys inserted in reverse order. */
function structuredCloneReversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structuredCloneReversed);
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) out[key] = structuredCloneReversed((value as Record<string, unknown>)[key]);
  return out;
}
