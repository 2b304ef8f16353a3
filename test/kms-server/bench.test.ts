import { describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../../bench/index.ts';

describe('bench kms-http', () => {
  it('is registered and measures both servers in the same run', async () => {
    const bench = BENCHMARKS.find((b) => b.name === 'kms-http');
    expect(bench).toBeDefined();
    const result = await bench!.run(400);
    expect(result.value).toBeGreaterThan(0);
    expect(result.ceiling).toBeGreaterThan(0);
    expect(result.ratio).toBeCloseTo(result.value / result.ceiling, 9);
    expect(result.detail).toMatch(/\d+ Decrypts through kms serve, \d+ through the bare server/);
  }, 30_000);
});
