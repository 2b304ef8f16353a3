import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/parent-admin.ts';
import { runScenario } from '../../src/scenario/runner.ts';

describe('parent-admin catalogue: blocked with the defence on, caught by the checkers with it off', () => {
  it('lists PA scenarios in catalogue order with unique ids', () => {
    const ids = scenarios.map((s) => s.id);
    expect(ids.every((id) => id.startsWith('PA-'))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('covers PA-01…PA-19', () => {
    const expected = Array.from({ length: 19 }, (_, i) => `PA-${String(i + 1).padStart(2, '0')}`);
    expect(scenarios.map((s) => s.id)).toEqual(expected);
  });

  it('reproduces: the same seed gives the same trace digests, defended and control', async () => {
    const pa14 = scenarios.find((s) => s.id === 'PA-14')!;
    const [a, b] = [await runScenario(pa14, { seed: 3 }), await runScenario(pa14, { seed: 3 })];
    expect(b.runs.defended.digest).toBe(a.runs.defended.digest);
    expect(b.runs.control?.digest).toBe(a.runs.control?.digest);
    expect(a.runs.control?.digest).not.toBe(a.runs.defended.digest);
  }, 30_000);

  for (const scenario of scenarios) {
    it(`${scenario.id} ${scenario.name}`, async () => {
      const result = await runScenario(scenario, { seed: 1 });
      expect({ id: result.id, passed: result.passed, reason: result.reason }).toMatchObject({ passed: true });
      expect(result.outcome).toBe('blocked');
      expect(result.control).toBe('leaked');
    }, 30_000);
  }
});
