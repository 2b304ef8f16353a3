import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { utf8, type RandomSource } from '../../src/crypto/index.ts';

export function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
}

/** DER of the first PEM block, decoded here without the code under test. */
export function pemBodyDer(pem: string): Uint8Array {
  const body = pem.split('-----')[2]!.replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}




/** Deterministic, never-repeating bytes (a counter run through a simple mixer): enough for NSM tests. */
export function counterRandom(seed = 1): RandomSource {
  let state = seed >>> 0;
  return {
    bytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) {
        state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
        out[i] = state >>> 24;
      }
      return out;
    },
  };
}

export function appFile(path: string, text: string): { path: string; data: Uint8Array } {
  return { path, data: utf8(text) };
}

export { expectCode } from '../helpers/errors.ts';
export { hex, hexOf } from '../helpers/bytes.ts';
