// Steps shared by the attack groups (parent-admin, operator, …). Nothing here touches a TCB object.
import { aes256GcmOpen, concatBytes, fromBase64, hkdfSha384, p384SharedSecret, toBase64, utf8 } from '../../crypto/index.ts';
import { isEmuError } from '../../errors.ts';
import type { ScenarioContext } from '../define.ts';

/** Runs a step that may fail with a typed error (the defence working); the failure is noted, not thrown. */
export function tryTyped<T>(ctx: ScenarioContext, what: string, step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    if (!isEmuError(error)) throw error;
    ctx.note(`${what}: ${error.code}`);
    return undefined;
  }
}

/** How a KMS reply reads in a note: `HTTP <status> <error type, or ok>`. */
export function kmsOutcome(reply: { readonly status: number; readonly body: Record<string, unknown> }): string {
  return `HTTP ${reply.status} ${String(reply.body['__type'] ?? 'ok')}`;
}

/** The `Recipient` field of a KMS request that presents `document` (the key to encrypt to is the one inside it). */
export function attestedRecipient(document: Uint8Array): { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256'; AttestationDocument: string } {
  return { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: toBase64(document) };
}

/** The client protocol's public parts (src/world/client.ts): how both ends derive the session key, and the IVs. */
const CLIENT_SESSION_INFO = 'nitro-emu client session v1';

/** The IV of one direction of a client session: 1 for the prompt, 2 for the output. */
export function clientSessionIv(direction: number): Uint8Array {
  const bytes = new Uint8Array(12);
  bytes[0] = direction;
  return bytes;
}

/**
 * What an attacker that answered a client's hello with its own session key (`session`) and the client's `nonce`
 * gets from the client's prompt message: the session key, and the prompt opened with it.
 */
export function openClientPrompt(
  session: { readonly privateKey: Uint8Array; readonly publicKey: Uint8Array },
  nonce: Uint8Array,
  message: Record<string, unknown>,
): { key: Uint8Array; prompt: Uint8Array } {
  const clientPublicKey = fromBase64(String(message['clientPublicKey']));
  const shared = p384SharedSecret(session.privateKey, clientPublicKey);
  const key = hkdfSha384(shared, nonce, concatBytes(utf8(CLIENT_SESSION_INFO), clientPublicKey, session.publicKey), 32);
  const prompt = aes256GcmOpen(key, clientSessionIv(1), fromBase64(String(message['ciphertext'])), utf8('prompt'));
  return { key, prompt };
}
