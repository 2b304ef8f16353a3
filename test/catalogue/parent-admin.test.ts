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

  for (const scenario of scenarios) {
    it(`${scenario.id} ${scenario.name}`, async () => {
      const result = await runScenario(scenario, { seed: 1 });
      expect({ id: result.id, passed: result.passed, reason: result.reason }).toMatchObject({ passed: true });
      expect(result.outcome).toBe('blocked');
      expect(result.control).toBe('leaked');
    }, 30_000);
  }
});
