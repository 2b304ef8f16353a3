// The registry's judgement, with catalogue entries of our own making: a lesson whose scenario ends otherwise than
// the lesson expects is reported as such, and a scenario whose control switch differs from the lesson's is refused.
import { describe, expect, it } from 'vitest';
import { runGuidedDemo } from '../../src/guided/index.ts';
import { defineScenario } from '../../src/scenario/index.ts';
import { deployModel } from '../../src/world/index.ts';
import { EPOCH_MS } from './helpers.ts';

function fakeReplay(defence: 'kmsRecipientEncryption' | 'attestedKeyPolicy', violated: boolean) {
  return defineScenario({
    id: 'PA-03',
    name: 'pa.test.stand-in',
    title: 'A stand-in for PA-03',
    attacker: 'parent-admin',
    promises: ['P2'],
    invariants: ['INV-NO-CANARY'],
    tags: { attack: [], atlas: [] },
    defence,
    expect: 'blocked',
    teaching: 'A stand-in.',
    async attack(ctx) {
      await deployModel(ctx.world);
      ctx.note('Decrypt with a replayed document: HTTP 400 ValidationException');
    },
    check: () => [{ invariant: 'SCENARIO-STAND-IN', held: !violated, detail: violated ? 'planted violation' : 'fine' }],
  });
}

describe('runGuidedDemo', () => {
  it('a defended run that leaks is not what the lesson expects', async () => {
    const result = await runGuidedDemo('replayed-attestation', { seed: 1, epochMs: EPOCH_MS, control: false, catalogue: [fakeReplay('kmsRecipientEncryption', true)] });
    expect(result).toMatchObject({ outcome: 'leaked', expected: 'denied', asExpected: false });
    expect(result.reason).toContain('planted violation');
    expect(result.steps.at(-1)!.why).toMatch(/^CONTROL: SCENARIO-STAND-IN: planted violation/);
  });

  it('a denied run takes its reason from the run\'s own note', async () => {
    const result = await runGuidedDemo('replayed-attestation', { seed: 1, epochMs: EPOCH_MS, control: false, catalogue: [fakeReplay('kmsRecipientEncryption', false)] });
    expect(result).toMatchObject({ outcome: 'denied', asExpected: true });
    expect(result.reason).toMatch(/^Decrypt with a replayed document: HTTP 400 ValidationException; /);
  });

  it('refuses a catalogue whose scenario switches another defence than the lesson', async () => {
    await expect(runGuidedDemo('replayed-attestation', { seed: 1, epochMs: EPOCH_MS, control: true, catalogue: [fakeReplay('attestedKeyPolicy', false)] })).rejects.toThrow(/defence is attestedKeyPolicy/);
  });

  it('refuses to run a scenario lesson without the catalogue, and an unknown name, with typed errors', async () => {
    await expect(runGuidedDemo('replayed-attestation', { seed: 1, epochMs: EPOCH_MS, control: false })).rejects.toMatchObject({ code: 'GUIDED_NO_SCENARIO' });
    await expect(runGuidedDemo('nope', { seed: 1, epochMs: EPOCH_MS, control: false })).rejects.toMatchObject({ code: 'GUIDED_UNKNOWN_DEMO' });
  });
});
