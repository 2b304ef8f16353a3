// Replays every reproducer in test/fuzz-corpus/<target>/ through its target: each crash the fuzzer ever found must
// now end in a typed error or a valid result.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../fuzz/harness.ts';
import { TARGETS } from '../../fuzz/targets/index.ts';

const CORPUS = new URL('../fuzz-corpus/', import.meta.url);
const targetDirs = existsSync(CORPUS) ? readdirSync(CORPUS).sort() : [];

describe('the fuzz corpus', () => {
  it('has a folder only for known targets, each holding only <hash>.bin reproducers', () => {
    for (const dir of targetDirs) {
      expect(TARGETS.map((t) => t.name)).toContain(dir);
      for (const file of readdirSync(new URL(`${dir}/`, CORPUS))) expect(file).toMatch(/^[0-9a-f]{16}\.bin$/);
    }
  });

  for (const dir of targetDirs) {
    const target = TARGETS.find((t) => t.name === dir);
    if (target === undefined) continue;
    const files = readdirSync(new URL(`${dir}/`, CORPUS)).filter((f) => f.endsWith('.bin')).sort();
    it(`${dir}: ${files.length} reproducer(s) end in a typed error or a valid result`, () => {
      expect(files.length).toBeGreaterThan(0);
      const instance = target.setup();
      for (const file of files) {
        const outcome = classify(instance, new Uint8Array(readFileSync(new URL(`${dir}/${file}`, CORPUS))));
        expect(outcome, `${dir}/${file}`).not.toMatchObject({ kind: 'crash' });
      }
    });
  }
});
