import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EmuError } from '../../src/errors.ts';
import { decodeCborStrict, encodeCbor } from '../../src/crypto/index.ts';
import { NsmDevice, buildEnclaveImage, readCpio, readEif, writeCpio } from '../../src/enclave/index.ts';
import { counterRandom, fixture } from './helpers.ts';

/** Any failure must be a typed error: a crash (TypeError, RangeError, assertion) is a parser bug. */
function typedOrNothing(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof EmuError)) throw error;
  }
}

const image = buildEnclaveImage({
  appFiles: [{ path: 'main.js', data: new TextEncoder().encode('(function main() { return 1; })') }],
  entry: 'main.js',
});

const signed = buildEnclaveImage({
  appFiles: [{ path: 'main.js', data: new TextEncoder().encode('(function main() { return 1; })') }],
  entry: 'main.js',
  signing: { certificatePem: fixture('signer-cert.pem'), privateKeyPem: fixture('signer-key.pem') },
});
// Where the signature section's data starts: mutations are aimed there half of the time.
const signatureAt = Number(new DataView(signed.buffer).getBigUint64(0x1c + 8 * 5)) + 12;

describe('fuzzing the parsers', () => {
  it('readEif on mutated images throws only typed errors', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(image.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const copy = image.slice();
        for (const [at, xor] of edits) copy[at]! ^= xor;
        typedOrNothing(() => readEif(copy));
      }),
      { numRuns: 300 },
    );
  });

  it('readEif on signed images with a mutated signature section throws only typed errors', () => {
    fc.assert(
      fc.property(fc.nat(signed.length - signatureAt - 1), fc.integer({ min: 1, max: 255 }), (offset, xor) => {
        const copy = signed.slice();
        copy[signatureAt + offset]! ^= xor;
        typedOrNothing(() => readEif(copy));
      }),
      { numRuns: 150 },
    );
  });

  it('readEif on truncated images always refuses', () => {
    fc.assert(
      fc.property(fc.nat(image.length - 1), (length) => {
        expect(() => readEif(image.subarray(0, length))).toThrow(EmuError);
      }),
      { numRuns: 100 },
    );
  });

  it('cpio round-trips any set of canonical paths', () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,8}$/).filter((s) => s !== '.' && s !== '..');
    const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(path, fc.uint8Array({ maxLength: 40 })), { selector: ([p]) => p, maxLength: 8 }), (files) => {
        let archive: Uint8Array;
        try {
          archive = writeCpio(files.map(([p, data]) => ({ path: p, data })));
        } catch (error) {
          // a path that is both a file and a parent directory of another is refused, nothing else
          expect((error as EmuError).code).toBe('CPIO_DUPLICATE_PATH');
          return;
        }
        const read = readCpio(archive).filter((e) => e.kind === 'file');
        expect(read.map((e) => [e.path, e.data]).sort()).toEqual(files.map(([p, d]) => [p, d]).sort());
      }),
      { numRuns: 200 },
    );
  });
});

describe('fuzzing the NSM', () => {
  it('answers any bytes with a CBOR response and never throws', () => {
    const device = new NsmDevice({
      moduleId: 'm',
      measured: new Map(),
      issuer: { moduleId: 'm', issue: () => new Uint8Array(8) },
      random: counterRandom(),
    });
    const variants = ['DescribePCR', 'ExtendPCR', 'LockPCR', 'LockPCRs', 'Attestation', 'DescribeNSM', 'GetRandom'];
    const field = fc.constantFrom('index', 'range', 'data', 'user_data', 'nonce', 'public_key');
    const value = fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.uint8Array({ maxLength: 64 }), fc.constant(null), fc.string({ maxLength: 4 }));
    const structured = fc
      .tuple(fc.constantFrom(...variants), fc.array(fc.tuple(field, value), { maxLength: 3 }))
      .map(([v, fields]) => encodeCbor(new Map([[v, new Map(fields)]])));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), structured), (request) => {
        const response = decodeCborStrict(device.request(request), 'response');
        expect(response instanceof Map || typeof response === 'string').toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
