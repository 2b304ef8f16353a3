import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { World, runFlow, type FlowReport } from '../../src/world/index.ts';
import { devicePolicyJson, standardVendor } from '../../src/world/accelerators.ts';
import { parseDevicePolicy } from '../../src/enclave/index.ts';

const held = (report: FlowReport) => Object.entries(report.invariants).filter(([, v]) => !v.held).map(([k]) => k);

describe('the flow with accelerators', () => {
  it.each(['gpu', 'trainium'] as const)('%s ×2, confidential: devices attested, inference on them equals the reference, nothing leaks', async (flavour) => {
    const report = await runFlow(new World({ seed: 5, accelerators: { flavour, count: 2 } }));
    expect(held(report)).toEqual([]);
    expect(report.inference.matches).toBe(true);
    expect(report.accelerators).toMatchObject({ flavour, count: 2, path: 'confidential', attested: 2 });
    expect(report.accelerators?.label).toBe(flavour === 'trainium' ? 'assumed' : 'published');
    expect(report.steps.map((s) => s.title)).toContain('Enclave attests the accelerators and streams the weights');
    expect(report.probes['device0ParentSubmit']).toBe('refused (ACCEL_NOT_SESSION_HOLDER)');
    expect(report.probes['device0ParentBarRead']).toBe('all-ones (firewalled)');
    expect(report.probes['devicesAfterRelease']).toMatch(/2 of 2 .* verified scrub/);
    // The parent's ledger did see the staging and link traffic: ciphertext only.
    expect(report.ledger['parent-admin']?.observations).toBeGreaterThan(20);
  });

  it('the plain path (deviceConfidentialPath off) gives the same tokens and the parent reads the weights (negative control)', async () => {
    const confidential = await runFlow(new World({ seed: 6, accelerators: { flavour: 'gpu', count: 1 } }));
    const plain = await runFlow(new World({ seed: 6, accelerators: { flavour: 'gpu', count: 1 }, defences: { deviceConfidentialPath: false } }));
    expect(plain.inference.outputHex).toBe(confidential.inference.outputHex);
    expect(confidential.leaks).toEqual([]);
    expect(plain.leaks.map((l) => `${l.canary}@${l.principal}`)).toContain('weights-tensor@parent-admin');
    expect(plain.probes['device0ParentSubmit']).toMatch(/^accepted/);
    // The cost model: the confidential path spends more virtual time on the devices.
    expect(confidential.accelerators!.deviceBusyNs).toBeGreaterThan(plain.accelerators!.deviceBusyNs);
  });

  it('a device the measured policy does not accept stops the enclave before any weight moves', async () => {
    const world = new World({ seed: 7, accelerators: { flavour: 'gpu', count: 1 } });
    world.accelerators[0]!.setPendingMode('devtools');
    world.accelerators[0]!.reset();
    const report = await runFlow(world);
    expect(report.inference.completed).toBe(false);
    expect(report.accelerators?.refused).toBe('DEVICE_MODE_REJECTED');
    expect(report.leaks).toEqual([]);
  });

  it('the same seed gives the same trace digest', async () => {
    const a = await runFlow(new World({ seed: 8, accelerators: { flavour: 'gpu', count: 2 } }));
    const b = await runFlow(new World({ seed: 8, accelerators: { flavour: 'gpu', count: 2 } }));
    expect(a.digest).toBe(b.digest);
  });
});

describe('the measured device policy', () => {
  it('the committed device-policy.json is exactly what the standard vendors publish', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../src/enclave/default-app/device-policy.json', import.meta.url)), 'utf8');
    expect(committed).toBe(devicePolicyJson());
    const policy = parseDevicePolicy(committed);
    expect(policy.minSvn).toBe(standardVendor('gpu').minSvn);
    expect(policy.referenceMeasurements.gpu?.size).toBeGreaterThan(0);
    expect(Object.values(policy.driverDefences).every(Boolean)).toBe(true);
  });

  it('is strict: unknown keys, unknown checks and malformed digests are typed errors', () => {
    const good = JSON.parse(devicePolicyJson()) as Record<string, unknown>;
    const variants = [
      { ...good, extra: 1 },
      { ...good, checksOff: ['noSuchCheck'] },
      { ...good, minSvn: -1 },
      { ...good, requiredMode: 'on' },
      { ...good, vendors: { gpu: { rootPem: 'x', reference: { '1': 'ab' } } } },
    ];
    for (const variant of variants) expect(() => parseDevicePolicy(JSON.stringify(variant))).toThrow(expect.objectContaining({ code: 'DEVICE_POLICY_BAD' }));
    expect(() => parseDevicePolicy('{')).toThrow(expect.objectContaining({ code: 'DEVICE_POLICY_BAD' }));
    expect(parseDevicePolicy(devicePolicyJson(['checkMeasurements'])).driverDefences.checkMeasurements).toBe(false);
  });
});
