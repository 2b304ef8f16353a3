// The measured device policy is strict: each defect is a DEVICE_POLICY_BAD naming that defect, never a looser policy.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import { parseDevicePolicy } from '../../src/enclave/index.ts';

const committed = readFileSync(new URL('../../src/enclave/default-app/device-policy.json', import.meta.url), 'utf8');
type Policy = { vendors: Record<string, Record<string, unknown>> } & Record<string, unknown>;
const good = (): Policy => JSON.parse(committed) as Policy;
const digest = 'ab'.repeat(48);

function refusal(json: string): string {
  try {
    parseDevicePolicy(json);
  } catch (error) {
    if (isEmuError(error, 'DEVICE_POLICY_BAD')) return error.message;
    throw error;
  }
  throw new Error('the policy was accepted');
}

function withGpu(change: (gpu: Record<string, unknown>) => void): string {
  const policy = good();
  change(policy.vendors['gpu']!);
  return JSON.stringify(policy);
}

describe('device policy strictness', () => {
  it('the committed policy parses, with its references keyed by index', () => {
    const policy = parseDevicePolicy(committed);
    expect(policy.vendorRootsDer.gpu?.[0]).toBe(0x30);
    for (const index of policy.referenceMeasurements.gpu!.keys()) expect(index).toBeGreaterThanOrEqual(1);
  });

  it('refuses an oversized document and a document that is not an object', () => {
    expect(refusal(' '.repeat(64 * 1024 + 1))).toMatch(/larger than 65536 bytes/);
    expect(refusal('[]')).toMatch(/not an object/);
    expect(refusal('null')).toMatch(/not an object/);
  });

  it('refuses checksOff that is not a list', () => {
    expect(refusal(JSON.stringify({ ...good(), checksOff: 'checkMeasurements' }))).toMatch(/checksOff must be a list/);
  });

  it('refuses missing, empty and unknown vendors', () => {
    expect(refusal(JSON.stringify({ ...good(), vendors: {} }))).toMatch(/at least one flavour/);
    expect(refusal(JSON.stringify({ ...good(), vendors: [] }))).toMatch(/at least one flavour/);
    expect(refusal(JSON.stringify({ ...good(), vendors: { fpga: good().vendors['gpu'] } }))).toMatch(/unknown flavour fpga/);
  });

  it('refuses a flavour without a root, with an extra key, or with two certificates in its root', () => {
    expect(refusal(withGpu((gpu) => delete gpu['rootPem']))).toMatch(/gpu.rootPem is missing/);
    expect(refusal(JSON.stringify({ ...good(), vendors: { gpu: 'pem' } }))).toMatch(/gpu.rootPem is missing/);
    expect(refusal(withGpu((gpu) => (gpu['minSvn'] = 1)))).toMatch(/unknown key gpu.minSvn/);
    expect(refusal(withGpu((gpu) => (gpu['rootPem'] = `${gpu['rootPem'] as string}\n${gpu['rootPem'] as string}`)))).toMatch(
      /exactly one certificate/,
    );
    expect(refusal(withGpu((gpu) => (gpu['rootPem'] = '')))).toMatch(/exactly one certificate|not a PEM certificate/);
  });

  it('refuses a reference that is not an object, is empty, has an index outside 1…254 or a bad digest', () => {
    expect(refusal(withGpu((gpu) => (gpu['reference'] = [digest])))).toMatch(/reference must be an object/);
    expect(refusal(withGpu((gpu) => (gpu['reference'] = {})))).toMatch(/lists no measurement/);
    for (const index of ['0', '255', '1.5', 'x', '0001']) {
      expect(refusal(withGpu((gpu) => (gpu['reference'] = { [index]: digest })))).toMatch(/is not 1…254/);
    }
    expect(parseDevicePolicy(withGpu((gpu) => (gpu['reference'] = { '254': digest }))).referenceMeasurements.gpu?.get(254)).toBe(digest);
    for (const bad of [digest.toUpperCase(), digest.slice(2), 7]) {
      expect(refusal(withGpu((gpu) => (gpu['reference'] = { '1': bad })))).toMatch(/not a lowercase SHA-384 hex digest/);
    }
  });
});
