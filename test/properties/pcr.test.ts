// PCR laws (issue 7): extend is deterministic and order-sensitive, and the NSM refuses to change a locked PCR.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, pcrExtend, zeroPcr } from '../../src/crypto/index.ts';
import { NsmClient, NsmDevice, type AttestationIssuer } from '../../src/enclave/index.ts';
import { Prng } from '../../src/sim/prng.ts';
import { expectCode } from '../helpers/errors.ts';

const RUNS = { numRuns: 100, seed: 7207 };
const pcrArb = fc.uint8Array({ minLength: 48, maxLength: 48 });
const dataArb = fc.uint8Array({ maxLength: 200 });

/** SHA-384(old ‖ data) computed by OpenSSL directly, independent of the code under test. */
const oracle = (old: Uint8Array, data: Uint8Array) => new Uint8Array(createHash('sha384').update(old).update(data).digest());

describe('pcrExtend', () => {
  it('is deterministic, equals SHA-384(old ‖ data) and leaves its inputs alone', () => {
    fc.assert(
      fc.property(pcrArb, dataArb, (pcr, data) => {
        const [pcrCopy, dataCopy] = [pcr.slice(), data.slice()];
        const once = pcrExtend(pcr, data);
        expect(equalBytes(pcrExtend(pcrCopy, dataCopy), once)).toBe(true);
        expect(equalBytes(once, oracle(pcr, data))).toBe(true);
        expect(pcr).toEqual(pcrCopy);
        expect(data).toEqual(dataCopy);
      }),
      RUNS,
    );
  });

  it('order matters: extend(extend(p, a), b) ≠ extend(extend(p, b), a) whenever a ≠ b', () => {
    fc.assert(
      fc.property(pcrArb, dataArb, dataArb, (pcr, a, b) => {
        fc.pre(!equalBytes(a, b));
        expect(equalBytes(pcrExtend(pcrExtend(pcr, a), b), pcrExtend(pcrExtend(pcr, b), a))).toBe(false);
      }),
      RUNS,
    );
  });

  it('a chain of extends is a fold: the final value depends on every element and its position', () => {
    fc.assert(
      fc.property(fc.array(dataArb, { minLength: 2, maxLength: 6 }), fc.nat(), (chain, pick) => {
        const fold = (items: readonly Uint8Array[]) => items.reduce((pcr, d) => pcrExtend(pcr, d), zeroPcr());
        const i = pick % (chain.length - 1);
        fc.pre(!equalBytes(chain[i]!, chain[i + 1]!));
        const swapped = [...chain];
        [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
        expect(equalBytes(fold(chain), fold(swapped))).toBe(false);
        expect(equalBytes(fold(chain), fold(chain.slice(0, -1)))).toBe(false);
      }),
      RUNS,
    );
  });
});

type Op = { readonly kind: 'extend'; readonly index: number; readonly data: Uint8Array } | { readonly kind: 'lock'; readonly index: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('extend' as const), index: fc.integer({ min: 0, max: 31 }), data: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant('lock' as const), index: fc.integer({ min: 0, max: 31 }) }),
);

function nsm(): NsmClient {
  const issuer: AttestationIssuer = { moduleId: 'i-0123456789abcdef0-enc0123456789abcdef', issue: () => new Uint8Array(1) };
  const measured = new Map([[0, new Uint8Array(48).fill(0xa0)]]);
  const device = new NsmDevice({ moduleId: issuer.moduleId, measured, issuer, random: new Prng(9, 'pcr-nsm') });
  return new NsmClient((bytes) => device.request(bytes));
}

describe('NSM PCRs through the NSM API', () => {
  it('follow a model under any sequence of extends and locks: a locked PCR refuses both with NSM_READ_ONLY_INDEX and keeps its value', () => {
    // Counted over all runs, so the property cannot pass on sequences that never hit a lock.
    let refusals = 0;
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const client = nsm();
        const values = Array.from({ length: 32 }, (_, i) => client.describePcr(i).data);
        // Platform PCRs 0..15 are locked from boot.
        const locked = Array.from({ length: 32 }, (_, i) => i < 16);
        for (const op of ops) {
          if (locked[op.index]) {
            const call = op.kind === 'extend' ? () => client.extendPcr(op.index, op.data) : () => client.lockPcr(op.index);
            expectCode(call, 'NSM_READ_ONLY_INDEX');
            refusals++;
          } else if (op.kind === 'extend') {
            values[op.index] = pcrExtend(values[op.index]!, op.data);
            expect(client.extendPcr(op.index, op.data)).toEqual(values[op.index]);
          } else {
            client.lockPcr(op.index);
            locked[op.index] = true;
          }
        }
        for (let i = 0; i < 32; i++) expect(client.describePcr(i)).toEqual({ lock: locked[i], data: values[i] });
      }),
      { numRuns: 60, seed: 7207 },
    );
    expect(refusals).toBeGreaterThan(30);
  });

  it('after lockPcrs(range) every PCR below range is frozen, and extending it changes nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 17, max: 32 }), fc.uint8Array({ maxLength: 64 }), fc.nat(), (range, data, pick) => {
        const client = nsm();
        const index = 16 + (pick % (range - 16));
        client.extendPcr(index, data);
        const before = client.describePcr(index).data;
        client.lockPcrs(range);
        expectCode(() => client.extendPcr(index, data), 'NSM_READ_ONLY_INDEX');
        expect(client.describePcr(index)).toEqual({ lock: true, data: before });
      }),
      RUNS,
    );
  });
});
