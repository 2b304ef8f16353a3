import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyMutant, MUTANTS, type Mutant } from '../../scripts/mutant-list.ts';

// Checks the mutant list against the current source without running any mutant (that rewrites files).
const ROOT = join(import.meta.dirname, '..', '..');

describe('mutant list', () => {
  it('has unique ids and covers the issue-7 checks', () => {
    const ids = MUTANTS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(MUTANTS.length).toBeGreaterThanOrEqual(12);
  });

  it.each(MUTANTS.map((m) => [m.id, m] as const))('%s applies exactly once and changes the file', (_id, mutant) => {
    const source = readFileSync(join(ROOT, mutant.file), 'utf8');
    const mutated = applyMutant(mutant, source);
    expect(mutated).not.toBe(source);
    expect(mutated.length).toBe(source.length - mutant.find.length + mutant.replace.length);
  });

  it.each(MUTANTS.map((m) => [m.id, m] as const))('%s names existing test files under test/', (_id, mutant) => {
    expect(mutant.tests.length).toBeGreaterThan(0);
    for (const test of mutant.tests) {
      expect(test).toMatch(/^test\/.+\.test\.ts$/);
      expect(existsSync(join(ROOT, test)), test).toBe(true);
    }
  });

  it('refuses a mutant whose text is missing or occurs twice', () => {
    const mutant: Mutant = { id: 'x', breaks: 'x', file: 'f.ts', find: 'check();', replace: '', tests: [] };
    expect(applyMutant(mutant, 'a; check(); b;')).toBe('a;  b;');
    expect(() => applyMutant(mutant, 'a; b;')).toThrow(/no longer occurs/);
    expect(() => applyMutant(mutant, 'check(); check();')).toThrow(/more than once/);
  });
});
