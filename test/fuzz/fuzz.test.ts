import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmuError } from '../../src/errors.ts';
import { parseFuzzArgs } from '../../fuzz/cli.ts';
import { classify, runTarget } from '../../fuzz/harness.ts';
import { mutate } from '../../fuzz/mutate.ts';
import { TARGETS } from '../../fuzz/targets/index.ts';
import { type FuzzTarget, StateChangedAfterRefusal, type TargetInstance } from '../../fuzz/types.ts';
import { Prng } from '../../src/sim/index.ts';

const NAMES = [
  'attestation-doc', 'nsm-request', 'x509-chain', 'cms', 'kms-request', 'key-policy', 'eif', 'spdm',
  'bounce-buffer', 'fabric-packet', 'scenario-yaml', 'kms-state', 'weight-frames',
];
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A parser stand-in: refuses short inputs with a typed error, accepts 'ok', and crashes (TypeError) on a 0xEE byte. */
function standIn(seeds: Uint8Array[], onRun?: (input: Uint8Array) => void): FuzzTarget {
  return {
    name: 'stand-in',
    format: 'bytes',
    setup: (): TargetInstance => ({
      seeds,
      run(input) {
        onRun?.(input);
        if (input.includes(0xee)) throw new TypeError('cannot read properties of undefined (stand-in bug)');
        if (input.length < 3) throw new EmuError('STAND_IN_SHORT', 'too short');
        return 'valid';
      },
    }),
  };
}

describe('the fuzz targets', () => {
  it('are exactly the 13 named in the issue, in its order', () => {
    expect(TARGETS.map((t) => t.name)).toEqual(NAMES);
  });

  for (const target of TARGETS) {
    it(`${target.name}: seeds are accepted and 80 mutated inputs end in a typed error or a valid result`, () => {
      const instance = target.setup();
      // The seeds exercise the accepting path: most must be valid (a few are deliberate refusals, e.g. a bad signature).
      const seedVerdicts = instance.seeds.map((s) => classify(instance, s).kind);
      expect(seedVerdicts).not.toContain('crash');
      expect(seedVerdicts.filter((v) => v === 'valid').length).toBeGreaterThan(0);
      const corpusDir = tempDir();
      const report = runTarget(target, instance, { iterations: 80, seed: 3, corpusDir });
      expect(report.crashSamples).toEqual([]);
      expect({ crashes: report.crashes, hangs: report.hangs, inputs: report.inputs }).toEqual({ crashes: 0, hangs: 0, inputs: 80 });
      expect(report.typedErrors + report.valid).toBe(80);
      // Mutation reaches the refusing path too.
      expect(report.typedErrors).toBeGreaterThan(0);
      expect(readdirSync(corpusDir)).toEqual([]);
    });
  }
});

describe('the harness', () => {
  it('reports a parser that throws a TypeError as a crash and writes a reproducer that replays it', () => {
    const corpusDir = tempDir();
    const target = standIn([new TextEncoder().encode('ok: a valid input')]);
    const report = runTarget(target, target.setup(), { iterations: 400, seed: 1, corpusDir });
    expect(report.crashes).toBeGreaterThan(0);
    expect(report.valid).toBeGreaterThan(0);
    expect(report.crashSamples[0]).toContain('TypeError: cannot read properties of undefined (stand-in bug)');
    const files = readdirSync(join(corpusDir, 'stand-in'));
    expect(files.length).toBe(1); // one reproducer per distinct failure
    expect(files[0]).toMatch(/^[0-9a-f]{16}\.bin$/);
    const reproducer = new Uint8Array(readFileSync(join(corpusDir, 'stand-in', files[0]!)));
    expect(reproducer.includes(0xee)).toBe(true);
    expect(classify(target.setup(), reproducer).kind).toBe('crash');
  });

  it('counts a typed error as typed, not as a crash, and writes nothing', () => {
    const corpusDir = tempDir();
    const target = standIn([Uint8Array.of(1)]);
    const instance = target.setup();
    expect(classify(instance, Uint8Array.of(1)).kind).toBe('typed');
    expect(classify(instance, Uint8Array.of(1, 2, 3)).kind).toBe('valid');
    const refusing: TargetInstance = {
      seeds: [Uint8Array.of(1)],
      run: () => {
        throw new EmuError('X_REFUSED', 'refused');
      },
    };
    const report = runTarget(target, refusing, { iterations: 50, seed: 1, corpusDir });
    expect(report).toMatchObject({ inputs: 50, typedErrors: 50, crashes: 0 });
    expect(readdirSync(corpusDir)).toEqual([]);
  });

  it('reports a state change after a refusal as a crash', () => {
    const instance: TargetInstance = {
      seeds: [Uint8Array.of(1, 2, 3)],
      run: () => {
        throw new StateChangedAfterRefusal('counter moved');
      },
    };
    expect(classify(instance, Uint8Array.of(1))).toMatchObject({ kind: 'crash' });
  });

  it('reports an input slower than the bound as a hang, with a reproducer', () => {
    const corpusDir = tempDir();
    let sink = 0;
    const target = standIn([Uint8Array.of(1, 2, 3)], () => {
      for (let i = 0; i < 200_000; i++) sink += i % 7;
    });
    const report = runTarget(target, target.setup(), { iterations: 5, seed: 1, corpusDir, inputMsMax: 0.000_001 });
    expect(sink).toBeGreaterThan(0);
    expect(report.hangs).toBeGreaterThan(0);
    expect(readdirSync(join(corpusDir, 'stand-in')).length).toBe(1);
  });

  it('is deterministic from the seed: same seed, same inputs; another seed, other inputs', () => {
    const inputs = (seed: number) => {
      const seen: string[] = [];
      const target = standIn([new TextEncoder().encode('{"a":[1,2,{"b":"c"}]}')], (input) => seen.push(Buffer.from(input).toString('hex')));
      runTarget({ ...target, format: 'json' }, target.setup(), { iterations: 100, seed });
      return seen;
    };
    expect(inputs(5)).toEqual(inputs(5));
    expect(inputs(6)).not.toEqual(inputs(5));
  });

  it('mutations stay bounded and survive deeply nested inputs in every format', () => {
    const draw = new Prng(9, 'test');
    const deep = new TextEncoder().encode('['.repeat(5000) + ']'.repeat(5000));
    for (const format of ['bytes', 'cbor', 'der', 'json', 'text', 'records'] as const) {
      let input: Uint8Array = deep;
      for (let i = 0; i < 200; i++) {
        input = mutate(input, format, draw, [deep], 'json');
        expect(input.length).toBeLessThanOrEqual(1 << 20);
      }
    }
  });
});

describe('npm run fuzz arguments', () => {
  it('parses the contract flags and refuses unknown targets and bad numbers', () => {
    expect(parseFuzzArgs(['--iterations', '20000', '--seed', '1', '--json', '--only', 'cms,eif', '--seconds', '5'])).toMatchObject({
      iterations: 20000, seed: 1, json: true, only: ['cms', 'eif'], seconds: 5,
    });
    expect(() => parseFuzzArgs(['--only', 'cms,nope'])).toThrow(/unknown target/);
    expect(() => parseFuzzArgs(['--iterations', '-3'])).toThrow(/integer/);
    expect(() => parseFuzzArgs(['--bogus'])).toThrow(/unknown argument/);
  });
});
