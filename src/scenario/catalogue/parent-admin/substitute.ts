// The parent-admin's way to make the enclave run a model of its choosing: seal its own model under a key K' it
// picked, put that on its disk where the owner's sealed weights were, and make the enclave believe K' came
// from KMS. Whether the last step works is exactly what the enclave's KMS channel decides.
import {
  buildEnvelopedData,
  encryptFramed,
  parseAttestationDocument,
  fromBase64,
  toBase64,
  utf8,
  type RandomSource,
} from '../../../crypto/index.ts';
import { generateModelFile } from '../../../world/index.ts';
import type { ParentAdminHandle } from '../../define.ts';
import { readManifest } from './helpers.ts';

const DATA_KEY_BYTES = 32;

/** Seals a model of the attacker's own under a fresh key and swaps it in for the owner's; returns the key. */
export function plantSubstituteModel(pa: ParentAdminHandle, random: RandomSource): Uint8Array {
  const manifest = readManifest(pa);
  const key = random.bytes(DATA_KEY_BYTES);
  const model = generateModelFile(random, 'parent-admin substitute model');
  pa.writeDisk(manifest.weightsPath, encryptFramed(model, key, { random, aad: utf8(manifest.weightsAad) }));
  return key;
}

/**
 * A Decrypt reply as KMS would send it, but carrying `key` wrapped to the RSA key in the request's own
 * attestation document (a public key: the parent reads it wherever it reads the request). Undefined when the
 * request has no readable document.
 */
export function forgedDecryptReply(requestBody: Record<string, unknown>, key: Uint8Array, random: RandomSource): Uint8Array | undefined {
  const recipient = requestBody['Recipient'] as Record<string, unknown> | undefined;
  const document = recipient?.['AttestationDocument'];
  if (typeof document !== 'string') return undefined;
  const publicKey = parseAttestationDocument(fromBase64(document)).doc.publicKey;
  if (publicKey === null) return undefined;
  const body = {
    KeyId: requestBody['KeyId'],
    EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    CiphertextForRecipient: toBase64(buildEnvelopedData(key, publicKey, random)),
  };
  return utf8(JSON.stringify({ status: 200, body: JSON.stringify(body) }));
}
