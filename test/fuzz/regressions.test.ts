// One test per real crash the fuzzer found; the reproducers themselves are replayed by corpus.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileYamlScenario } from '../../src/scenario/index.ts';
import { KmsService } from '../../src/kms/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { pemToDer } from '../../src/crypto/index.ts';
import { decodeStateFile } from '../../src/kms-server/index.ts';
import { EmuError } from '../../src/errors.ts';
import { type Packet, createDomainProtectors } from '../../src/efa/index.ts';
import { errorCode } from '../helpers/errors.ts';


describe('kms-state: a header that is not UTF-8', () => {
  const enc = new TextEncoder();

  it('is a KMS_STATE_TRUNCATED/FORMAT refusal, not a TypeError from the UTF-8 decoder', () => {
    // Truncated inside the header (no newline), with a byte sequence that is not UTF-8.
    expect(errorCode(() => decodeStateFile(new Uint8Array([...enc.encode('NITRO-EMU-KMS-STAT'), 0xff, 0xfe]), 'x'))).toBe('KMS_STATE_FORMAT');
    // A whole header line with a broken two-byte sequence.
    const header = new Uint8Array([...enc.encode('NITRO-EMU-KMS-STATE/1 length=2 sha256='), 0xc3, 0x28, 0x0a, 0x7b, 0x7d]);
    expect(errorCode(() => decodeStateFile(header, 'x'))).toBe('KMS_STATE_FORMAT');
  });

  it('still reads a truncated but valid prefix as truncated', () => {
    expect(errorCode(() => decodeStateFile(enc.encode('NITRO-EMU-KMS'), 'x'))).toBe('KMS_STATE_TRUNCATED');
  });
});

describe('fabric-packet: a sealed header whose inner header cannot be encoded', () => {
  const domainSecret = new Uint8Array(32).fill(0x5a);
  const pair = () => {
    const map = createDomainProtectors({ hosts: [1, 2], jobId: 'fuzz-job', domainSecret });
    return { sender: map.get(1)!, receiver: map.get(2)! };
  };
  const packet = (): Packet => ({ src: 1, dst: 2, entropy: 1, kind: 'ack', wireBytes: 64, header: { t: 'srd-ack', psn: 0, cumPsn: 1, ev: 1, pathSeq: 0, txPs: 5, drop: 0 } });
  let deep: unknown = 1;
  for (let i = 0; i < 50; i++) deep = [deep];
  const hostile = [deep, { big: 'x'.repeat(5000) }, Array.from({ length: 300 }, () => 0)];

  for (const inner of hostile) {
    it(`is dropped as malformed (${JSON.stringify(inner).slice(0, 24)}…), not an assertion, and the link still works`, () => {
      const { sender, receiver } = pair();
      const sealed = sender.seal(packet());
      const forged = { ...sealed, header: { ...(sealed.header as object), inner } };
      expect(receiver.open(forged)).toBeNull();
      expect(receiver.stats()['rejected.malformed']).toBe(1);
      expect(receiver.open(sealed)?.header).toEqual(packet().header);
    });
  }
});

describe('scenario-yaml: an alias used before its anchor', () => {
  it('is a SCENARIO_YAML_INVALID that names the problem, not a ReferenceError from the yaml library', () => {
    const base = readFileSync(new URL('../../scenarios/debug-enclave-gets-no-key.yaml', import.meta.url), 'utf8');
    const text = base.replace('  - parent.console', '  - *later\n  - &later parent.console');
    expect(text).not.toBe(base);
    try {
      compileYamlScenario(text);
      expect.fail('compiled');
    } catch (error) {
      expect(error).toBeInstanceOf(EmuError);
      expect((error as EmuError).code).toBe('SCENARIO_YAML_INVALID');
      expect((error as EmuError).message).toContain('Unresolved alias');
    }
    // The same script without the forward alias still compiles.
    expect(compileYamlScenario(base.replace('  - parent.console', '  - &later parent.console\n  - *later')).attack).toBeDefined();
  });
});

describe('kms-state: a deeply nested "version" in a state snapshot', () => {
  it('is KMS_STATE_INVALID, not a RangeError from String() of the value', () => {
    const kms = new KmsService({ sim: new Simulator({ seed: 1 }), attestationRootDer: pemToDer(readFileSync(new URL('../fixtures/nitro/AWS_NitroEnclaves_Root-G1.pem', import.meta.url), 'utf8'))[0]! });
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(errorCode(() => kms.restoreState({ version: deep, keys: [], aliases: [], grants: [], nonces: [] }))).toBe('KMS_STATE_INVALID');
    expect(errorCode(() => kms.restoreState({ version: { v: 1 }, keys: [], aliases: [], grants: [], nonces: [] }))).toBe('KMS_STATE_INVALID');
    expect(kms.stateDigest()).toBe(new KmsService({ sim: new Simulator({ seed: 1 }), attestationRootDer: pemToDer(readFileSync(new URL('../fixtures/nitro/AWS_NitroEnclaves_Root-G1.pem', import.meta.url), 'utf8'))[0]! }).stateDigest());
  });
});
