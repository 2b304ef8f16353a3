// The scenario language: YAML text compiled into a runnable scenario (compile only: running one is the
// scenario suite's job and takes far longer than a fuzz input may).
import { readFileSync, readdirSync } from 'node:fs';
import { compileYamlScenario } from '../../src/scenario/index.ts';
import type { FuzzTarget } from '../types.ts';

export const scenarioYaml: FuzzTarget = {
  name: 'scenario-yaml',
  format: 'text',
  setup() {
    const dir = new URL('../../scenarios/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
    const seeds = files.map((f) => new Uint8Array(readFileSync(new URL(f, dir))));
    return {
      seeds,
      run(input) {
        compileYamlScenario(new TextDecoder().decode(input), 'fuzz.yaml');
        return 'valid';
      },
    };
  },
};
