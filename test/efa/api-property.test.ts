import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENDPOINT_HEADER_BYTES, FI_ADDR_UNSPEC, decodeEndpointPacket, encodeEndpointPacket, EndpointPktType, ReorderWindow,
} from '../../src/efa/api/index.ts';
import { isEmuError } from '../../src/errors.ts';
import { pair, pattern } from './api-helpers.ts';

describe('endpoint API properties', () => {
  it('decoding any bytes gives a packet or MALFORMED_PACKET, nothing else', () => {
    const valid = encodeEndpointPacket({
      type: EndpointPktType.MEDIUM, flags: 1, dstQpn: 1, srcQpn: 2, dstConnId: 3, srcConnId: 4, msgId: 5, opId: 6,
      tag: 7n, data: 8, totalLen: 100, segOffset: 40, rkey: 0, rOffset: 0, code: 0, payload: new Uint8Array(60),
    });
    fc.assert(fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
          const bytes = valid.slice();
          bytes[i] = bytes[i]! ^ x;
          return bytes;
        }),
      ),
      (bytes) => {
        try {
          const pkt = decodeEndpointPacket(bytes, 1 << 20);
          expect(pkt.payload.length + ENDPOINT_HEADER_BYTES).toBe(bytes.length);
          expect(pkt.segOffset + pkt.payload.length).toBeLessThanOrEqual(pkt.totalLen);
        } catch (error) {
          expect(isEmuError(error, 'MALFORMED_PACKET')).toBe(true);
        }
      },
    ), { numRuns: 2000, seed: 42 });
  });

  it('the reorder window hands up exactly the ids in order, whatever the arrival order within the window', () => {
    fc.assert(fc.property(fc.nat(0xffff_ffff), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 200 }), fc.nat(),
      (start, size, count, seed) => {
        const window = new ReorderWindow<number>(size, start);
        // Arrival order: a random permutation inside successive blocks of `size` (never beyond the window).
        const ids: number[] = [];
        let x = seed;
        for (let block = 0; block < count; block += size) {
          const part = [...Array(Math.min(size, count - block)).keys()].map((k) => block + k);
          for (let i = part.length - 1; i > 0; i--) {
            x = (Math.imul(x, 1103515245) + 12345) >>> 0;
            const j = x % (i + 1);
            [part[i], part[j]] = [part[j]!, part[i]!];
          }
          ids.push(...part);
        }
        const out: number[] = [];
        for (const k of ids) {
          const id = (start + k) % 2 ** 32;
          expect(window.place(id)).not.toBe('beyond');
          window.put(id, k);
          for (let v = window.takeNext(() => true); v !== undefined; v = window.takeNext(() => true)) out.push(v);
        }
        expect(out).toEqual([...Array(count).keys()]);
        expect(window.place((start + count + size) % 2 ** 32)).toBe('beyond');
        expect(window.place((start + count - 1) % 2 ** 32)).toBe('past');
      }), { numRuns: 200, seed: 7 });
  });

  it('any mix of sizes over a reordering transport arrives intact, matched in send order', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 90_000 }), { minLength: 1, maxLength: 24 }), fc.nat(1000),
      (sizes, seed) => {
        const { fabric, a, b, aToB } = pair('efa', { jitterPs: 30_000_000 }, { ctsWindowBytes: 30_000 }, seed);
        const bufs = sizes.map((n) => new Uint8Array(n));
        bufs.forEach((buf, i) => b.recv(buf, FI_ADDR_UNSPEC, i));
        sizes.forEach((n, i) => a.send(pattern(n, i), aToB, i));
        fabric.run();
        expect(a.cq.errorsAvailable + b.cq.errorsAvailable).toBe(0);
        expect(a.cq.read(100)).toHaveLength(sizes.length);
        expect(b.cq.read(100)).toHaveLength(sizes.length);
        sizes.forEach((n, i) => expect(Buffer.from(bufs[i]!).equals(Buffer.from(pattern(n, i)))).toBe(true));
      }), { numRuns: 25, seed: 3 });
  });
});
