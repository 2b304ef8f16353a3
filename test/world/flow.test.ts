import { describe, expect, it } from 'vitest';
import { buildEnclaveImage, loadEnclaveApp, readAppFolder } from '../../src/enclave/index.ts';
import { World, runFlow, type FlowReport, type WorldOptions } from '../../src/world/index.ts';
import { fileURLToPath } from 'node:url';

async function run(options: WorldOptions): Promise<FlowReport> {
  return runFlow(new World(options));
}

const held = (report: FlowReport) => Object.fromEntries(Object.entries(report.invariants).map(([k, v]) => [k, v.held]));

describe('the end-to-end flow, defended', () => {
  it('releases the key only to the attested enclave, runs inference equal to the reference, and leaks nothing', async () => {
    const report = await run({ seed: 1 });
    expect(held(report)).toEqual({
      'INV-NO-CANARY': true,
      'INV-KEYS-ATTESTED': true,
      'INV-AUDIT': true,
      'INV-SCRUB': true,
      'FLOW-OUTPUT-MATCHES-REFERENCE': true,
    });
    expect(report.inference.outputHex).toBe(report.inference.referenceHex);
    expect(report.inference.outputHex).toHaveLength(64);
    expect(report.probes['parentDirectDecrypt']).toBe('AccessDeniedException');
    expect(report.probes['operatorMemoryDump']).toBe('no such API');
    expect(report.enclave?.pcr0).toBe(report.approvedPcr0);
    // The parent relayed everything and saw no secret; the TCB saw them legitimately.
    expect(report.ledger['parent-admin']?.canariesSeen).toEqual([]);
    expect(report.ledger['parent-admin']?.observations).toBeGreaterThan(5);
    expect(report.leaks).toEqual([]);
  });
});

describe('determinism', () => {
  it('gives the same digest for the same seed and epoch, another for another seed or epoch', async () => {
    const a = await run({ seed: 5 });
    const b = await run({ seed: 5 });
    const c = await run({ seed: 6 });
    const d = await run({ seed: 5, epochMs: Date.UTC(2026, 5, 1) });
    expect(a.digest).toBe(b.digest);
    expect(a.inference.outputHex).toBe(b.inference.outputHex);
    expect(c.digest).not.toBe(a.digest);
    expect(d.digest).not.toBe(a.digest);
    // The image is the same in every world: the seed changes keys, never code.
    expect(c.approvedPcr0).toBe(a.approvedPcr0);
  });
});

describe('negative controls: each defence off, the same checks must catch the leak', () => {
  it('a key policy without the attestation condition lets the parent decrypt the data key', async () => {
    const report = await run({ seed: 1, defences: { attestedKeyPolicy: false } });
    expect(report.probes['parentDirectDecrypt']).toBe('released');
    expect(report.invariants['INV-NO-CANARY']?.held).toBe(false);
    expect(report.invariants['INV-KEYS-ATTESTED']?.held).toBe(false);
    expect(report.leaks).toContainEqual(expect.objectContaining({ canary: 'data-key', principal: 'parent-admin' }));
  });

  it('without memory isolation the parent reads the decrypted weights out of the enclave pages', async () => {
    const report = await run({ seed: 1, defences: { enclaveMemoryIsolation: false } });
    expect(report.invariants['INV-NO-CANARY']?.held).toBe(false);
    expect(report.leaks).toContainEqual(
      expect.objectContaining({ canary: 'weights-tensor', principal: 'parent-admin', channel: 'memory-read' }),
    );
  });

  it('without scrubbing the parent finds the weights in the pages it gets back', async () => {
    const report = await run({ seed: 1, defences: { scrubOnRelease: false } });
    expect(report.invariants['INV-SCRUB']?.held).toBe(false);
    expect(report.leaks).toContainEqual(
      expect.objectContaining({ canary: 'weights-card', principal: 'parent-admin', channel: 'memory-read after release' }),
    );
  });

  it('a conventional hypervisor lets the operator dump guest memory', async () => {
    const report = await run({ seed: 1, defences: { closedOperatorApi: false } });
    expect(report.leaks).toContainEqual(expect.objectContaining({ principal: 'operator', canary: 'weights-tensor' }));
  });
});

describe('refusals', () => {
  it('a debug-mode enclave is attested validly but gets no key: its PCR0 is zero', async () => {
    const report = await run({ seed: 1, debugMode: true });
    expect(report.enclave?.debugMode).toBe(true);
    expect(report.enclave?.pcr0).toBe('0'.repeat(96));
    expect(report.probes['enclave']).toMatch(/AccessDeniedException/);
    expect(report.invariants['FLOW-OUTPUT-MATCHES-REFERENCE']?.held).toBe(false);
    expect(report.invariants['INV-NO-CANARY']?.held).toBe(true);
    expect(report.invariants['INV-KEYS-ATTESTED']?.held).toBe(true);
  });

  it('an image with one byte of its application changed (a comment) measures differently and is refused', async () => {
    const folder = readAppFolder(fileURLToPath(new URL('../../src/enclave/default-app/', import.meta.url)));
    const files = folder.files.map((f) =>
      f.path === 'main.js' ? { path: f.path, data: new TextEncoder().encode(new TextDecoder().decode(f.data).replace('The default enclave application.', 'The default enclave application!')) } : f,
    );
    const modified = buildEnclaveImage({ appFiles: files, entry: folder.entry });
    expect(loadEnclaveApp(modified).source).toContain('application!');
    const report = await run({ seed: 1, enclaveImage: modified });
    expect(report.enclave?.pcr0).not.toBe(report.approvedPcr0);
    expect(report.probes['enclave']).toMatch(/AccessDeniedException/);
    expect(report.invariants['INV-KEYS-ATTESTED']?.held).toBe(true);
    expect(report.leaks).toEqual([]);
  });
});

describe('the enclave console', () => {
  it('reaches the parent only in debug mode, and carries no secret there', async () => {
    const world = new World({ seed: 1, debugMode: true });
    await runFlow(world);
    const lines = world.ledger.of('parent-admin').filter((o) => o.channel.startsWith('console'));
    expect(lines.map((o) => new TextDecoder().decode(o.bytes))).toEqual([
      expect.stringMatching(/booted/),
      'KMS refused the data key: AccessDeniedException',
    ]);
    const normal = new World({ seed: 1 });
    await runFlow(normal);
    expect(normal.ledger.of('parent-admin').filter((o) => o.channel.startsWith('console'))).toEqual([]);
  });
});
