import { describe, expect, it } from 'vitest';
import { PATHS, ENCRYPTION_CONTEXT } from '../../src/world/index.ts';
import { defineScenario, runScenario } from '../../src/scenario/index.ts';
import { toBase64 } from '../../src/crypto/index.ts';

const meta = {
  title: 'test scenario',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: [] },
  teaching: 'a tiny scenario for the runner tests',
} as const;

/** The example scenario: the parent-admin asks KMS for the data key with its own role and no attestation. */
export const directDecrypt = defineScenario({
  ...meta,
  id: 'TEST-01',
  name: 'pa.kms.direct-decrypt',
  defence: 'attestedKeyPolicy',
  expect: 'blocked',
  setup: (ctx) => ctx.deployAndLaunch(),
  async attack(ctx, state) {
    const parent = ctx.attacker['parent-admin']!;
    const reply = await parent.kms('Decrypt', {
      KeyId: state.deployment.keyId,
      CiphertextBlob: toBase64(parent.readDisk(PATHS.dataKey)),
      EncryptionContext: ENCRYPTION_CONTEXT,
    });
    ctx.note(`KMS answered ${reply.status}`);
  },
});

describe('runScenario', () => {
  it('a blocked scenario whose control leaks passes, with both runs and the refusal explained', async () => {
    const result = await runScenario(directDecrypt, { seed: 1 });
    expect(result.outcome).toBe('blocked');
    expect(result.control).toBe('leaked');
    expect(result.passed).toBe(true);
    expect(result.runs.control?.reason).toMatch(/INV-NO-CANARY violated: data-key .* seen by parent-admin via/);
    expect(result.runs.defended.notes).toEqual(['KMS answered 400']);
    expect(result.runs.control?.notes).toEqual(['KMS answered 200']);
    expect(result.runs.control?.defencesOff).toEqual(['attestedKeyPolicy']);
  });

  it('a blocked scenario whose control does not leak fails, saying the checkers saw nothing', async () => {
    const harmless = defineScenario({ ...meta, id: 'TEST-02', name: 'pa.disk.list', defence: 'attestedKeyPolicy', expect: 'blocked',
      async attack(ctx) { ctx.attacker['parent-admin']!.listDisk(); } });
    const result = await runScenario(harmless, { seed: 1 });
    expect(result.outcome).toBe('blocked');
    expect(result.control).toBe('blocked');
    expect(result.passed).toBe(false);
    expect(result.reason).toMatch(/control \(attestedKeyPolicy off\) was not caught: the checkers saw nothing/);
  });

  it('an expect-succeeds scenario passes when it leaks, with no control run', async () => {
    const taught = defineScenario({ ...meta, id: 'TEST-03', name: 'pa.loot.self', defence: null, expect: 'succeeds',
      setup: (ctx) => ctx.deployAndLaunch(),
      async attack(ctx, state) { ctx.loot('stolen', state.deployment.prompt); } });
    const result = await runScenario(taught, { seed: 2 });
    expect(result).toMatchObject({ outcome: 'leaked', control: null, passed: true });
    expect(result.runs.control).toBeNull();
    expect(result.reason).toMatch(/prompt \(client's\) seen by parent-admin via stolen/);
  });

  it('a run that throws something other than an EmuError is an error; a typed refusal is blocked', async () => {
    const broken = defineScenario({ ...meta, id: 'TEST-04', name: 'pa.bug.throws', defence: 'attestedKeyPolicy', expect: 'blocked',
      async attack() { throw new TypeError('oops'); } });
    const result = await runScenario(broken, { seed: 1 });
    expect(result.outcome).toBe('error');
    expect(result.passed).toBe(false);
    expect(result.reason).toMatch(/TypeError: oops/);

    const refused = defineScenario({ ...meta, id: 'TEST-05', name: 'pa.disk.missing', defence: 'attestedKeyPolicy', expect: 'blocked',
      async attack(ctx) { ctx.attacker['parent-admin']!.readDisk('no/such/file'); } });
    const r2 = await runScenario(refused, { seed: 1 });
    expect(r2.outcome).toBe('blocked');
    expect(r2.runs.defended.refusal).toBe('DISK_NO_SUCH_FILE');
    expect(r2.runs.defended.reason).toMatch(/^refused with DISK_NO_SUCH_FILE/);
    // The refusal's message went to the attacker's ledger too.
    expect(r2.runs.defended.ledger['parent-admin']?.channels).toContain('disk-read no/such/file error');
  });

  it("a scenario's own check decides like a global checker, and a check that throws makes the run an error", async () => {
    const ownCheck = defineScenario({ ...meta, id: 'TEST-06', name: 'pa.disk.plant-file', defence: 'attestedKeyPolicy', expect: 'blocked',
      async attack(ctx) { if (!ctx.defended) ctx.attacker['parent-admin']!.writeDisk('planted', new Uint8Array([1])); },
      check: (ctx) => [{ invariant: 'SCENARIO-NO-PLANTED-FILE', held: !ctx.world.parent.disk.list().includes('planted'), detail: 'the planted file is on disk' }] });
    const result = await runScenario(ownCheck, { seed: 1 });
    expect(result).toMatchObject({ outcome: 'blocked', control: 'leaked', passed: true });
    expect(result.runs.control?.reason).toBe('SCENARIO-NO-PLANTED-FILE violated: the planted file is on disk');

    const throwing = defineScenario({ ...ownCheck, id: 'TEST-07', check: () => { throw new RangeError('bad index'); } });
    const broken = await runScenario(throwing, { seed: 1 });
    expect(broken.outcome).toBe('error');
    expect(broken.reason).toMatch(/scenario\.check could not run: checker could not run: RangeError: bad index/);
  });

  it('gives the same result JSON for the same seed', async () => {
    const a = await runScenario(directDecrypt, { seed: 9 });
    const b = await runScenario(directDecrypt, { seed: 9 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = await runScenario(directDecrypt, { seed: 10 });
    expect(c.runs.defended.digest).not.toBe(a.runs.defended.digest);
  });
});
