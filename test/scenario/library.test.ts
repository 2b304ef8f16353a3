// What a user's own test file looks like: the package imported by name (package.json "exports").
import { describe, expect, it } from 'vitest';
import { defineScenario, runScenario } from 'nitro-emu/scenario';

const scanAfterTerminate = defineScenario({
  id: 'MY-01',
  name: 'pa.memory.scan-after-terminate',
  title: 'The parent reads the pages its terminated enclave gave back',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-SCRUB'],
  tags: { attack: ['T1005'], atlas: [] },
  defence: 'scrubOnRelease',
  expect: 'blocked',
  teaching: 'The host zeroes enclave pages before it returns them to the parent.',
  setup: (ctx) => ctx.deployAndLaunch(),
  async attack(ctx, { enclave }) {
    const parent = ctx.attacker['parent-admin']!;
    parent.terminateEnclave(enclave.enclaveId);
    ctx.note(`read ${parent.scanMemory()} pages after terminate`);
  },
});

describe('nitro-emu/scenario, imported by package name', () => {
  it('runs a user-defined scenario: blocked defended, caught with scrubbing off', async () => {
    const result = await runScenario(scanAfterTerminate, { seed: 11 });
    expect(result.outcome).toBe('blocked');
    expect(result.control).toBe('leaked');
    expect(result.passed).toBe(true);
    expect(result.runs.control?.reason).toMatch(/INV-(NO-CANARY|SCRUB) violated/);
  });
});
