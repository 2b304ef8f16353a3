import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCborStrict, encodeCbor, toHex } from '../../src/crypto/index.ts';
import { CborTag, parseCborTree } from '../../src/crypto/cbor.ts';
import { errorCode, expectCode, h } from './attestation-helpers.ts';

const decode = (hex: string, options?: Parameters<typeof decodeCborStrict>[2]): unknown =>
  decodeCborStrict(h(hex), 'test', options);
const codeOf = (hex: string, options?: Parameters<typeof decodeCborStrict>[2]): string => errorCode(() => decode(hex, options));

describe('decodeCborStrict: values', () => {
  it('decodes integers, with bigint only beyond 2^53', () => {
    expect(decode('00')).toBe(0);
    expect(decode('17')).toBe(23);
    expect(decode('1818')).toBe(24);
    expect(decode('1903e8')).toBe(1000);
    expect(decode('1a000f4240')).toBe(1_000_000);
    expect(decode('1b0000018cc251f400')).toBe(1_704_067_200_000);
    expect(decode('1b001fffffffffffff')).toBe(2 ** 53 - 1);
    expect(decode('1b0020000000000000')).toBe(2n ** 53n);
    expect(decode('1bffffffffffffffff')).toBe(2n ** 64n - 1n);
    expect(decode('20')).toBe(-1);
    expect(decode('3863')).toBe(-100);
    expect(decode('3bffffffffffffffff')).toBe(-(2n ** 64n));
  });

  it('decodes floats of each width', () => {
    expect(decode('f93c00')).toBe(1);
    expect(decode('f97bff')).toBe(65504);
    expect(decode('f90001')).toBe(2 ** -24);
    expect(decode('f9fc00')).toBe(-Infinity);
    expect(decode('fa47c35000')).toBe(100000);
    expect(decode('fb3ff199999999999a')).toBe(1.1);
    expect(Number.isNaN(decode('f97e00'))).toBe(true);
  });

  it('decodes strings, containers, simple values and allowed tags', () => {
    const bytes = decode('43010203');
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(bytes)).toBe(false);
    expect([...(bytes as Uint8Array)]).toEqual([1, 2, 3]);
    expect(decode('6449455446')).toBe('IETF');
    expect(decode('62c3bc')).toBe('ü');
    expect(decode('8301820203820405')).toEqual([1, [2, 3], [4, 5]]);
    const map = decode('a201020304') as Map<unknown, unknown>;
    expect(map).toBeInstanceOf(Map);
    expect([...map]).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(decode('a2616101616202')).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
    expect(decode('f4')).toBe(false);
    expect(decode('f5')).toBe(true);
    expect(decode('f6')).toBe(null);
    expect(decode('f7')).toBe(undefined);
    const tagged = decode('d8184100', { allowedTags: [24] });
    expect(tagged).toBeInstanceOf(CborTag);
    expect((tagged as CborTag).tag).toBe(24);
  });

  it('decodes indefinite-length strings and containers', () => {
    expect([...(decode('5f42010243030405ff') as Uint8Array)]).toEqual([1, 2, 3, 4, 5]);
    expect(decode('7f657374726561646d696e67ff')).toBe('streaming');
    expect(decode('9f018202039f0405ffff')).toEqual([1, [2, 3], [4, 5]]);
    expect(decode('bf61610161629f0203ffff')).toEqual(
      new Map<unknown, unknown>([
        ['a', 1],
        ['b', [2, 3]],
      ]),
    );
    expect([...(decode('5fff') as Uint8Array)]).toEqual([]);
  });

  it('returns plain byte strings that do not alias a Buffer input', () => {
    const shared = Buffer.from('a10143010203', 'hex');
    const decoded = (decodeCborStrict(shared, 'buffer') as Map<number, Uint8Array>).get(1)!;
    shared.fill(0);
    expect(Buffer.isBuffer(decoded)).toBe(false);
    expect([...decoded]).toEqual([1, 2, 3]);
  });

  it('keeps the true major type in the tree: a float 1.0 is not a uint 1', () => {
    expect(parseCborTree(h('01'), 't').kind).toBe('uint');
    const float = parseCborTree(h('f93c00'), 't');
    expect(float.kind).toBe('float');
    expect(float.kind === 'float' && float.bits).toBe(16);
    expect(decode('f93c00')).toBe(decode('01'));
  });
});

describe('decodeCborStrict: rejections', () => {
  it('truncation', () => {
    for (const hex of ['', '18', '19 01', '43 0102', '82 01', 'a1 01', '9f 01', 'bf 01 02', '5f 41', 'fa 0000', 'd8']) {
      expect(codeOf(hex.replace(/ /g, ''), { allowedTags: [24, 216] })).toBe('CBOR_MALFORMED');
    }
    expect(codeOf('5b ffffffffffffffff'.replace(/ /g, ''))).toBe('CBOR_MALFORMED');
    expect(codeOf('9b 0000000100000000'.replace(/ /g, ''))).toBe('CBOR_MALFORMED');
  });

  it('reserved additional information 28..30', () => {
    for (const major of [0, 1, 2, 3, 4, 5, 6, 7]) {
      for (const info of [28, 29, 30]) {
        expect(codeOf(((major << 5) | info).toString(16).padStart(2, '0'))).toBe('CBOR_MALFORMED');
      }
    }
  });

  it('integers and lengths not in their shortest form', () => {
    for (const hex of ['1817', '190017', '1a0000ffff', '1b00000000ffffffff', '3817', '5801ff', '7801', '9800', 'b800', 'd80000']) {
      expect(codeOf(hex, { allowedTags: [0] })).toBe('CBOR_MALFORMED');
    }
  });

  it('indefinite strings with wrong-type or nested indefinite chunks', () => {
    expect(codeOf('5f6161ff')).toBe('CBOR_MALFORMED');
    expect(codeOf('7f4161ff')).toBe('CBOR_MALFORMED');
    expect(codeOf('5f5fffff')).toBe('CBOR_MALFORMED');
    expect(codeOf('5f01ff')).toBe('CBOR_MALFORMED');
    expect(codeOf('7f62c3ff')).toBe('CBOR_MALFORMED');
  });

  it('invalid UTF-8, split code points and unassigned simple values', () => {
    expect(codeOf('62c328')).toBe('CBOR_MALFORMED');
    expect(codeOf('7f61c361bcff')).toBe('CBOR_MALFORMED');
    expect(codeOf('f0')).toBe('CBOR_MALFORMED');
    expect(codeOf('f810')).toBe('CBOR_MALFORMED');
    expect(codeOf('f8ff')).toBe('CBOR_MALFORMED');
  });

  it('break codes out of place and indefinite lengths on types that have none', () => {
    expect(codeOf('ff')).toBe('CBOR_MALFORMED');
    expect(codeOf('82ff01')).toBe('CBOR_MALFORMED');
    expect(codeOf('bf01ffff')).toBe('CBOR_MALFORMED');
    expect(codeOf('1f')).toBe('CBOR_MALFORMED');
    expect(codeOf('3f')).toBe('CBOR_MALFORMED');
    expect(codeOf('df00')).toBe('CBOR_MALFORMED');
  });

  it('duplicate map keys, compared by their encoded bytes', () => {
    expect(codeOf('a201020103')).toBe('CBOR_DUPLICATE_KEY');
    expect(codeOf('a2616101616102')).toBe('CBOR_DUPLICATE_KEY');
    expect(codeOf('bf0102010203ff')).toBe('CBOR_DUPLICATE_KEY');
    expect(codeOf('a1 00 a2 4101 01 4101 02'.replace(/ /g, ''))).toBe('CBOR_DUPLICATE_KEY');
    // Different encodings of different keys are fine: 1 and "1".
    expect(decode('a2010261310a')).toEqual(
      new Map<unknown, unknown>([
        [1, 2],
        ['1', 10],
      ]),
    );
  });

  it('tags unless allowed', () => {
    expect(codeOf('c11a514b67b0')).toBe('CBOR_UNEXPECTED_TAG');
    expect(codeOf('d28440a04040')).toBe('CBOR_UNEXPECTED_TAG');
    expect(codeOf('d28440a04040', { allowedTags: [1] })).toBe('CBOR_UNEXPECTED_TAG');
    expect(decode('d28440a04040', { allowedTags: [18] })).toBeInstanceOf(CborTag);
    expect(codeOf('dbffffffffffffffff00', { allowedTags: [0] })).toBe('CBOR_UNEXPECTED_TAG');
  });

  it('trailing bytes', () => {
    expect(codeOf('0000')).toBe('CBOR_TRAILING_BYTES');
    expect(codeOf('a0ff')).toBe('CBOR_TRAILING_BYTES');
    expect(codeOf('8100f6')).toBe('CBOR_TRAILING_BYTES');
  });

  it('nesting deeper than maxDepth, at the exact boundary', () => {
    expect(decode('81'.repeat(31) + '80')).toBeDefined();
    expect(codeOf('81'.repeat(32) + '80')).toBe('CBOR_TOO_DEEP');
    expect(codeOf('9f'.repeat(40) + 'ff'.repeat(40))).toBe('CBOR_TOO_DEEP');
    expect(codeOf('a10181'.repeat(1) + '8180', { maxDepth: 3 })).toBe('CBOR_TOO_DEEP');
    expect(decode('a1018180', { maxDepth: 3 })).toEqual(new Map([[1, [[]]]]));
  });

  it('input larger than maxBytes', () => {
    const big = new Uint8Array(16 * 1024 + 1);
    big.set([0x5a, 0, 0, 0x3f, 0xfc]);
    expectCode(() => decodeCborStrict(big, 'big'), 'CBOR_TOO_LARGE');
    expectCode(() => decodeCborStrict(h('43010203'), 'small', { maxBytes: 3 }), 'CBOR_TOO_LARGE');
    expect(decodeCborStrict(h('43010203'), 'small', { maxBytes: 4 })).toBeInstanceOf(Uint8Array);
  });

  it('never throws anything but an EmuError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeCborStrict(bytes, 'fuzz', { allowedTags: [1, 18] });
        } catch (error) {
          expect(errorCode(() => { throw error; })).toMatch(/^CBOR_/);
        }
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});

describe('encodeCbor', () => {
  it('writes shortest heads, definite lengths, plain byte strings and Maps in insertion order', () => {
    expect(toHex(encodeCbor(0))).toBe('00');
    expect(toHex(encodeCbor(24))).toBe('1818');
    expect(toHex(encodeCbor(-500))).toBe('3901f3');
    expect(toHex(encodeCbor(2 ** 32))).toBe('1b0000000100000000');
    expect(toHex(encodeCbor(1704067200000n))).toBe('1b0000018cc251f400');
    expect(toHex(encodeCbor(-(2n ** 64n)))).toBe('3bffffffffffffffff');
    expect(toHex(encodeCbor(1.5))).toBe('fb3ff8000000000000');
    expect(toHex(encodeCbor(new Uint8Array([1, 2])))).toBe('420102');
    expect(toHex(encodeCbor(Buffer.from([1, 2])))).toBe('420102');
    expect(toHex(encodeCbor('ü'))).toBe('62c3bc');
    expect(toHex(encodeCbor([1, [2, null, true]]))).toBe('82018302f6f5');
    const map = new Map<unknown, unknown>([
      ['b', 1],
      [10, 2],
      ['a', new Uint8Array(0)],
    ]);
    expect(toHex(encodeCbor(map))).toBe('a36162010a02616140');
    expect(toHex(encodeCbor({ GetRandom: null }))).toBe('a16947657452616e646f6df6');
    expect(toHex(encodeCbor(new CborTag(18, [])))).toBe('d280');
  });

  it('refuses what it cannot encode faithfully', () => {
    expectCode(() => encodeCbor(2n ** 64n), 'CBOR_UNENCODABLE');
    expectCode(() => encodeCbor(new Date(0)), 'CBOR_UNENCODABLE');
    expectCode(() => encodeCbor(() => 1), 'CBOR_UNENCODABLE');
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expectCode(() => encodeCbor(cyclic), 'CBOR_UNENCODABLE');
    const twin = new Map<unknown, unknown>([
      [new Uint8Array([1]), 1],
      [new Uint8Array([1]), 2],
    ]);
    expectCode(() => encodeCbor(twin), 'CBOR_UNENCODABLE');
  });

  it('round-trips through the strict decoder', () => {
    const leaf = fc.oneof(
      fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
      fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
      fc.string(),
      fc.uint8Array({ maxLength: 40 }),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const plain = (x: unknown): unknown =>
          Array.isArray(x)
            ? x.map(plain)
            : x !== null && typeof x === 'object' && !(x instanceof Uint8Array)
              ? new Map(Object.entries(x as Record<string, unknown>).map(([k, y]) => [k, plain(y)]))
              : x;
        const encoded = encodeCbor(plain(v));
        const decoded = decodeCborStrict(encoded, 'roundtrip', { maxBytes: 1 << 20 });
        expect(decoded).toEqual(plain(v));
        expect(toHex(encodeCbor(decoded))).toBe(toHex(encoded));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
