// Every named demo, run as the CLI runs it without a terminal, ends as its lesson says: the happy path ready, the
// attacks denied with the refusal that stopped them, the eavesdropper with no canary (and the canary without the defence).
import { describe, expect, it } from 'vitest';
import type { GuidedResult } from '../../src/guided/index.ts';
import { runCli } from './helpers.ts';

async function guided(name: string, ...flags: string[]): Promise<{ code: number; result: GuidedResult; stderr: string }> {
  const run = await runCli(['demo', name, '--json', ...flags]);
  return { code: run.code, result: JSON.parse(run.stdout) as GuidedResult, stderr: run.stderr };
}

function expectNarrated(result: GuidedResult): void {
  expect(result.steps.length).toBeGreaterThanOrEqual(4);
  result.steps.forEach((step, i) => {
    expect(step.step).toBe(i + 1);
    for (const text of [step.title, step.what, step.who, step.why]) expect(text.trim().length, `step ${step.step}`).toBeGreaterThan(10);
    expect(Number.isSafeInteger(step.vtNs) && step.vtNs >= 0).toBe(true);
  });
  expect(result.digest).toMatch(/^[0-9a-f]{64}$/);
}

describe('guided demos (non-TTY)', () => {
  it('happy-path: the enclave is ready and serves; every JSON log line parses and carries vt and seed', async () => {
    const run = await runCli(['demo', 'happy-path', '--json', '--log', '--seed', '2']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as GuidedResult;
    expect(result).toMatchObject({ demo: 'happy-path', outcome: 'ready', expected: 'ready', asExpected: true, control: false, seed: 2 });
    expectNarrated(result);
    expect(result.steps.some((s) => /GPU/.test(s.title))).toBe(true);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(result.steps.length);
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(Number.isSafeInteger(record['vt']), line).toBe(true);
      expect(record['seed'], line).toBe(2);
      expect(record['demo'], line).toBe('happy-path');
    }
    // The narration is in the log too, at the step's own virtual time.
    const stepLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['kind'] === 'guided.step');
    expect(stepLines.map((r) => [r['step'], r['vt'], r['msg']])).toEqual(result.steps.map((s) => [s.step, s.vtNs, s.title]));
  });

  it('debug-enclave-denied: KMS denies the debug enclave (PCR0 all zeros); exit 0 as the lesson expects', async () => {
    const { code, result } = await guided('debug-enclave-denied');
    expect(code).toBe(0);
    expect(result).toMatchObject({ outcome: 'denied', asExpected: true });
    expect(result.reason).toMatch(/AccessDeniedException/);
    expect(result.steps.map((s) => s.what).join(' ')).toMatch(/PCR0 0{16}/);
    expectNarrated(result);
  });

  it('modified-image-denied: the rebuilt image gets AccessDenied and hands the parent nothing', async () => {
    const { code, result } = await guided('modified-image-denied');
    expect(code).toBe(0);
    expect(result).toMatchObject({ outcome: 'denied', defence: 'attestedKeyPolicy' });
    expect(result.reason).toMatch(/kms refused the data key: AccessDeniedException/);
    expect(result.steps.at(-1)!.who).toMatch(/parent-admin obtained .*: no canary/);
  });

  it('replayed-attestation: the replayed document buys the parent no key', async () => {
    const { code, result } = await guided('replayed-attestation');
    expect(code).toBe(0);
    expect(result).toMatchObject({ outcome: 'denied', defence: 'kmsRecipientEncryption' });
    expect(result.reason).toMatch(/Decrypt with a replayed document: HTTP 4\d\d \w+Exception/);
  });

  it('tampered-bounce-buffer: the GPU refuses the chunk with a tag mismatch; with --control the refused chunk was already written', async () => {
    const defended = await guided('tampered-bounce-buffer');
    expect(defended.code).toBe(0);
    expect(defended.result).toMatchObject({ outcome: 'denied', defence: 'tagCheckBeforeWrite' });
    expect(defended.result.reason).toMatch(/ACCEL_TAG_MISMATCH/);
    const control = await guided('tampered-bounce-buffer', '--control');
    expect(control.code).toBe(0);
    expect(control.result).toMatchObject({ outcome: 'leaked', expected: 'leaked', control: true });
    expect(control.result.reason).toMatch(/INV-FAIL-CLOSED violated: .*still wrote device memory/);
  });

  it('fabric-eavesdropper: the tap holds no canary; with --control (link encryption off) it does', async () => {
    const defended = await guided('fabric-eavesdropper');
    expect(defended.code).toBe(0);
    expect(defended.result).toMatchObject({ outcome: 'protected', defence: 'linkEncryption' });
    const last = defended.result.steps.at(-1)!;
    expect(last.what).toMatch(/The tap recorded [1-9]\d* packets/);
    expect(last.who).toMatch(/no canary/);
    const control = await guided('fabric-eavesdropper', '--control');
    expect(control.code).toBe(0);
    expect(control.result).toMatchObject({ outcome: 'leaked', control: true });
    expect(control.result.reason).toMatch(/rank\d-local-tensor → network via fabric tap/);
    expect(control.result.digest).not.toBe(defended.result.digest);
  });

  it('happy-path --control: without the attested key policy the parent decrypts the data key with its own role', async () => {
    const { code, result } = await guided('happy-path', '--control');
    expect(result).toMatchObject({ outcome: 'leaked', expected: 'leaked', asExpected: true });
    expect(code).toBe(0);
    expect(result.reason).toMatch(/data-key .* seen by parent-admin/);
  });
});
