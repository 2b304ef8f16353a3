import { describe, expect, it } from 'vitest';
import { confidentialCopyNs, hbmCopyNs, plainCopyNs } from '../../src/accelerator/index.ts';
import { AssertionFailure } from '../../src/errors.ts';

describe('cost model', () => {
  it('gives integer ns that grow with size', () => {
    for (const n of [0, 1, 4096, 1 << 20]) {
      expect(Number.isInteger(plainCopyNs(n))).toBe(true);
      expect(Number.isInteger(confidentialCopyNs(n))).toBe(true);
    }
    expect(plainCopyNs(1 << 20)).toBeGreaterThan(plainCopyNs(4096));
  });
  it('approaches the 0.2x bandwidth ratio for large copies (research §2 row 6)', () => {
    const bytes = 1 << 30;
    const ratio = plainCopyNs(bytes) / confidentialCopyNs(bytes);
    expect(ratio).toBeGreaterThan(0.18);
    expect(ratio).toBeLessThan(0.23);
  });
  it('is fixed-cost dominated for small copies (~330 µs vs ~20 µs)', () => {
    expect(confidentialCopyNs(4096)).toBeGreaterThan(330_000);
    expect(confidentialCopyNs(4096) / plainCopyNs(4096)).toBeGreaterThan(10);
    expect(hbmCopyNs(1 << 30)).toBeLessThan(plainCopyNs(1 << 30) / 50);
  });
  it('rejects negative or fractional sizes', () => {
    expect(() => plainCopyNs(-1)).toThrow(AssertionFailure);
    expect(() => confidentialCopyNs(1.5)).toThrow(AssertionFailure);
  });
});
