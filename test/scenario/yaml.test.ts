import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import { compileYamlScenario } from '../../src/scenario/yaml.ts';

const GOOD = `id: TEACH-X
name: pa.kms.decrypt-without-attestation
title: t
attacker: parent-admin
promises: [P2]
invariants: [INV-NO-CANARY]
defence: attestedKeyPolicy
expect: blocked
teaching: why
steps:
  - deploy
  - launch
  - action: parent.kms.decrypt
    recipient: none
`;

function problemsOf(text: string): string[] {
  try {
    compileYamlScenario(text, 'scenario.yaml');
  } catch (error) {
    if (isEmuError(error, 'SCENARIO_YAML_INVALID')) return (error.details?.['problems'] as string[]) ?? [error.message];
    throw error;
  }
  throw new Error('the script compiled');
}

describe('YAML teaching scripts', () => {
  it('compiles a valid script to a scenario with its metadata', () => {
    const scenario = compileYamlScenario(GOOD);
    expect(scenario).toMatchObject({ kind: 'scenario', id: 'TEACH-X', attacker: 'parent-admin', defence: 'attestedKeyPolicy', tags: { attack: [], atlas: [] } });
    expect(typeof scenario.attack).toBe('function');
  });

  it('names the line and field of an unknown action', () => {
    const bad = GOOD.replace('  - launch\n', '  - action: enclave.run\n');
    expect(problemsOf(bad)).toEqual([expect.stringMatching(/^scenario\.yaml:12: steps\[1\]\.action: unknown action "enclave\.run" \(one of deploy, launch/)]);
  });

  it('reports every problem at once, each with its line', () => {
    const bad = GOOD.replace('attacker: parent-admin', 'attacker: root').replace('expect: blocked', 'expect: maybe').replace('recipient: none', 'recipient: enclave\n    extra: 1');
    const problems = problemsOf(bad);
    expect(problems).toContain('scenario.yaml:4: attacker: unknown principal "root" (one of operator, parent-admin, enclave, device, network, co-tenant, kms, owner, client)');
    expect(problems).toContain('scenario.yaml:8: expect: must be "blocked" or "succeeds"');
    expect(problems).toContain('scenario.yaml:14: steps[2].recipient: must be "none"');
    expect(problems).toContain('scenario.yaml:15: steps[2].extra: unknown parameter of parent.kms.decrypt (expected recipient)');
    expect(problems).toContainEqual(expect.stringMatching(/^scenario\.yaml:13: steps\[2\]\.action: parent\.kms\.decrypt is a parent-admin capability, but the attacker is root/));
  });

  it('refuses a missing field, a bad defence, a capability the attacker lacks, and bad YAML', () => {
    expect(problemsOf(GOOD.replace('teaching: why\n', ''))).toEqual(['scenario.yaml:1: missing field "teaching"']);
    expect(problemsOf(GOOD.replace('defence: attestedKeyPolicy', 'defence: moat'))[0]).toMatch(/^scenario\.yaml:7: defence: unknown defence "moat"/);
    expect(problemsOf(GOOD.replace('attacker: parent-admin', 'attacker: operator'))).toEqual([
      'scenario.yaml:13: steps[2].action: parent.kms.decrypt is a parent-admin capability, but the attacker is operator',
    ]);
    expect(problemsOf(GOOD.replace('  - action: parent.kms.decrypt\n    recipient: none\n', '  - action: parent.read-disk\n')) ).toEqual([
      'scenario.yaml:13: steps[2]: parent.read-disk needs "path"',
    ]);
    expect(problemsOf(`${GOOD}  - [unclosed\n`)[0]).toMatch(/^scenario\.yaml:1[56]: /);
    expect(problemsOf(GOOD.replace('name: pa.kms.decrypt-without-attestation', 'name: Not A Slug'))[0]).toMatch(/^scenario\.yaml:1: scenario TEACH-X: name "Not A Slug" is not a slug/);
    expect(problemsOf('- just\n- a list\n')).toEqual(['scenario.yaml:1: a scenario script is a map of fields (id, name, …, steps)']);
  });

  it('the shipped teaching scripts compile', () => {
    for (const file of ['scenarios/debug-enclave-gets-no-key.yaml', 'scenarios/parent-decrypts-without-attestation.yaml']) {
      expect(compileYamlScenario(readFileSync(file, 'utf8'), file).expect).toBe('blocked');
    }
  });
});
