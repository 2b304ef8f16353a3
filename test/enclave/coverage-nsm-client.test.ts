// The NSM client trusts nothing the transport returns: each misshapen response is NSM_INVALID_RESPONSE.
import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import { encodeCbor } from '../../src/crypto/index.ts';
import { NsmClient } from '../../src/enclave/index.ts';

const replying = (response: unknown) => new NsmClient(() => encodeCbor(response));

function invalid(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isEmuError(error, 'NSM_INVALID_RESPONSE')) return error.message;
    throw error;
  }
  throw new Error('the response was accepted');
}

const description = (overrides: Array<[string, unknown]> = []) =>
  new Map([
    [
      'DescribeNSM',
      new Map<string, unknown>([
        ['version_major', 1],
        ['version_minor', 0],
        ['version_patch', 0],
        ['module_id', 'i-0123-enc0123'],
        ['max_pcrs', 32],
        ['locked_pcrs', [0, 1, 2]],
        ['digest', 'SHA384'],
        ...overrides,
      ]),
    ],
  ]);

describe('NsmClient response checks', () => {
  it('accepts a well-formed DescribeNSM', () => {
    expect(replying(description()).describeNsm()).toEqual({
      versionMajor: 1,
      versionMinor: 0,
      versionPatch: 0,
      moduleId: 'i-0123-enc0123',
      maxPcrs: 32,
      lockedPcrs: [0, 1, 2],
      digest: 'SHA384',
    });
  });

  it('refuses a map with more than one entry, or the wrong variant', () => {
    const data = new Map([['data', new Uint8Array(48)]]);
    expect(invalid(() => replying(new Map<string, unknown>([['ExtendPCR', data], ['Extra', 1]])).extendPcr(16, Uint8Array.of(1)))).toMatch(
      /one-entry map/,
    );
    expect(invalid(() => replying(new Map([['DescribePCR', data]])).extendPcr(16, Uint8Array.of(1)))).toMatch(/expected a ExtendPCR response/);
    expect(replying(new Map([['ExtendPCR', data]])).extendPcr(16, Uint8Array.of(1))).toEqual(new Uint8Array(48));
  });

  it('refuses a unit reply where fields are due, and fields where a unit reply is due', () => {
    expect(invalid(() => replying('ExtendPCR').extendPcr(16, Uint8Array.of(1)))).toMatch(/without its fields/);
    expect(invalid(() => replying(new Map([['LockPCR', new Map()]])).lockPcr(16))).toMatch(/came back with fields/);
    expect(() => replying('LockPCR').lockPcr(16)).not.toThrow();
  });

  it('refuses DescribeNSM with non-text ids, bad locked PCR lists or a negative version', () => {
    expect(invalid(() => replying(description([['module_id', 7]])).describeNsm())).toMatch(/must be text/);
    expect(invalid(() => replying(description([['digest', Uint8Array.of(1)]])).describeNsm())).toMatch(/must be text/);
    expect(invalid(() => replying(description([['locked_pcrs', 3]])).describeNsm())).toMatch(/array of indices/);
    expect(invalid(() => replying(description([['locked_pcrs', [0, -1]]])).describeNsm())).toMatch(/array of indices/);
    expect(invalid(() => replying(description([['locked_pcrs', [0.5]]])).describeNsm())).toMatch(/array of indices/);
    expect(invalid(() => replying(description([['version_major', -1]])).describeNsm())).toMatch(/version_major is not an unsigned integer/);
    expect(invalid(() => replying(description([['max_pcrs', 'many']])).describeNsm())).toMatch(/max_pcrs is not an unsigned integer/);
  });
});
