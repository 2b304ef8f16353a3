import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTENT_CLOSE, CONTENT_DATA, RecordProtector, utf8 } from '../../src/crypto/index.ts';
import { EmuError } from '../../src/errors.ts';
import { flipped } from '../helpers/bytes.ts';

const keys = { key: new Uint8Array(32).fill(1), iv: new Uint8Array(12).fill(2) };
const pair = () => ({ sealer: new RecordProtector(keys, 1), opener: new RecordProtector(keys, 1) });

describe('secure-channel records', () => {
  it('open in order, carry the content type inside, and move the sequence only on success', () => {
    const { sealer, opener } = pair();
    const a = sealer.seal(CONTENT_DATA, utf8('a'));
    const b = sealer.seal(CONTENT_CLOSE, new Uint8Array(0));
    expect(() => opener.open(b)).toThrow(EmuError);
    expect(opener.sequence).toBe(0);
    expect(opener.open(a)).toEqual({ contentType: CONTENT_DATA, data: utf8('a') });
    expect(opener.open(b).contentType).toBe(CONTENT_CLOSE);
    expect(opener.sequence).toBe(2);
  });

  it('gives a typed error for any flipped bit and leaves the opener able to open the genuine record', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (data, at, mask) => {
        const { sealer, opener } = pair();
        const record = sealer.seal(CONTENT_DATA, data);
        const damaged = flipped(record, at % record.length, mask);
        let code = '';
        try {
          opener.open(damaged);
        } catch (error) {
          code = error instanceof EmuError ? error.code : 'untyped';
        }
        expect(['SCHAN_RECORD_AUTH', 'SCHAN_BAD_RECORD']).toContain(code);
        expect(opener.open(record).data).toEqual(data);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('refuses a record sealed under the same key for the other protocol version', () => {
    const record = new RecordProtector(keys, 2).seal(CONTENT_DATA, utf8('x'));
    expect(() => new RecordProtector(keys, 1).open(record)).toThrow(/SCHAN_BAD_RECORD/);
  });
});
