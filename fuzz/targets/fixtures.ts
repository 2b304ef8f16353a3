import { readFileSync } from 'node:fs';
import { pemToDer } from '../../src/crypto/index.ts';

/** A real fixture from test/fixtures (nitro/…, nvidia/…). */
export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url)));
}

export function awsRootDer(): Uint8Array {
  return pemToDer(new TextDecoder().decode(fixture('nitro/AWS_NitroEnclaves_Root-G1.pem')))[0]!;
}

export const NITRO_DOCS = ['nitro/real-2022-10-production-signed-eif.cbor', 'nitro/real-2022-10-debug-mode.cbor', 'nitro/real-2026-02-production-indefinite-map.cbor', 'nitro/real-2024-07-BAD-SIGNATURE.cbor'];

/** Fixed virtual time for targets that need one (no clock: the fuzzer is deterministic). */
export const FUZZ_NOW_MS = Date.UTC(2026, 0, 15);
