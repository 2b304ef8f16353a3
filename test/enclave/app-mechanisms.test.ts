import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { derToPem, utf8 } from '../../src/crypto/index.ts';
import {
  ALL_APP_DEFENCES,
  APP_DEFENCE_NAMES,
  PlatformCounters,
  appConfigBytes,
  defaultEnclaveImage,
  enclaveImageForAppDefences,
  loadEnclaveImage,
  openSealedState,
  sealState,
  sealedStateKey,
  seededRandomSource,
} from '../../src/enclave/index.ts';
import { Prng } from '../../src/sim/index.ts';
import { emulatedWebPkiRoot } from '../../src/world/kms-identity.ts';
import { flipped } from '../helpers/bytes.ts';
import { expectCode } from '../helpers/errors.ts';

const appFile = (name: string) => readFileSync(fileURLToPath(new URL(`../../src/enclave/default-app/${name}`, import.meta.url)));

describe('the measured app config', () => {
  it('ships the all-on config and the emulated web PKI root in the default app folder', () => {
    expect(new Uint8Array(appFile('defences.json'))).toEqual(appConfigBytes(ALL_APP_DEFENCES));
    expect(appFile('kms-root.pem').toString('utf8')).toBe(derToPem(emulatedWebPkiRoot().der));
  });

  it('gives each switch its own PCR0, the all-on image is the default image, and building is deterministic', () => {
    expect(enclaveImageForAppDefences(ALL_APP_DEFENCES)).toEqual(defaultEnclaveImage());
    const pcr0s = new Set<string>([Buffer.from(loadEnclaveImage(defaultEnclaveImage()).measurements.pcr0).toString('hex')]);
    for (const name of APP_DEFENCE_NAMES) {
      const image = enclaveImageForAppDefences({ ...ALL_APP_DEFENCES, [name]: false });
      expect(image).toEqual(enclaveImageForAppDefences({ ...ALL_APP_DEFENCES, [name]: false }));
      pcr0s.add(Buffer.from(loadEnclaveImage(image).measurements.pcr0).toString('hex'));
    }
    expect(pcr0s.size).toBe(APP_DEFENCE_NAMES.length + 1);
  });

  it('refuses a config that is not all booleans', () => {
    expectCode(() => appConfigBytes({ ...ALL_APP_DEFENCES, appLogHygiene: 'yes' as unknown as boolean }), 'APP_CONFIG_BAD');
  });
});

describe('sealed state', () => {
  const key = sealedStateKey(new Uint8Array(32).fill(7));
  const blob = sealState(key, 5, utf8('{"revokedClients":["c-1"]}'), new Prng(1, 'iv'));

  it('round-trips with its authenticated version', () => {
    const opened = openSealedState(key, blob);
    expect(opened.version).toBe(5);
    expect(Buffer.from(opened.data).toString()).toBe('{"revokedClients":["c-1"]}');
  });

  it('refuses a flipped ciphertext byte, a relabelled version and another key', () => {
    expectCode(() => openSealedState(key, flipped(blob, blob.length - 20)), 'SEALED_STATE_AUTH_FAILED');
    expectCode(() => openSealedState(key, flipped(blob, 7, 0x02)), 'SEALED_STATE_AUTH_FAILED');
    expectCode(() => openSealedState(sealedStateKey(new Uint8Array(32).fill(8)), blob), 'SEALED_STATE_AUTH_FAILED');
    expectCode(() => openSealedState(key, blob.subarray(0, 10)), 'SEALED_STATE_MALFORMED');
  });
});

describe('the platform monotonic counter (assumed service)', () => {
  it('only moves forward, per image', () => {
    const counters = new PlatformCounters();
    const a = counters.counterFor('pcr0-a');
    expect(a.read()).toBe(0);
    expect(a.advance(2)).toBe(2);
    expectCode(() => a.advance(2), 'PLATFORM_COUNTER_NOT_MONOTONIC');
    expectCode(() => a.advance(1), 'PLATFORM_COUNTER_NOT_MONOTONIC');
    expect(a.read()).toBe(2);
    expect(counters.counterFor('pcr0-b').read()).toBe(0);
  });
});

describe('seeded randomness (what an app without NSM entropy gets)', () => {
  it('is a pure function of the seed', () => {
    const seed = utf8('parent-supplied seed');
    expect(seededRandomSource(seed).bytes(100)).toEqual(seededRandomSource(seed).bytes(100));
    const split = seededRandomSource(seed);
    expect(new Uint8Array([...split.bytes(30), ...split.bytes(70)])).toEqual(seededRandomSource(seed).bytes(100));
    expect(seededRandomSource(utf8('another seed')).bytes(100)).not.toEqual(seededRandomSource(seed).bytes(100));
  });
});
