// What a parent-admin can do with nothing but its own instance: read what the owner uploaded, call KMS with its
// role, run its relays, build images. Shared by the PA scenarios; nothing here touches a TCB object.
import {
  decryptFramed,
  equalBytes,
  fromBase64,
  fromUtf8,
  toBase64,
  utf8,
  type RandomSource,
} from '../../../crypto/index.ts';
import type { ParentAdminHandle, ScenarioContext } from '../../define.ts';
import { tryTyped } from '../common.ts';

/** What the owner's manifest on the parent's disk says (the parent reads it like the enclave does). */
export interface Manifest {
  readonly keyId: string;
  readonly encryptionContext: Record<string, string>;
  readonly weightsAad: string;
  readonly dataKeyPath: string;
  readonly weightsPath: string;
}

export const MANIFEST_PATH = 'model/manifest.json';

export function parentAdmin(ctx: ScenarioContext): ParentAdminHandle {
  const handle = ctx.attacker['parent-admin'];
  if (handle === undefined) throw new Error('this scenario needs the parent-admin handle');
  return handle;
}

/** The attacker's own entropy: a seeded stream, so the run reproduces. */
export function attackerRandom(ctx: ScenarioContext, purpose: string): RandomSource {
  return ctx.world.sim.prng(`attacker.parent-admin.${purpose}`);
}

export function readManifest(pa: ParentAdminHandle): Manifest {
  return JSON.parse(fromUtf8(pa.readDisk(MANIFEST_PATH))) as Manifest;
}

/** A Decrypt of the sealed data key with the parent's own role, optionally with a Recipient it assembled. */
export async function decryptDataKey(
  pa: ParentAdminHandle,
  recipient?: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const manifest = readManifest(pa);
  return pa.kms('Decrypt', {
    KeyId: manifest.keyId,
    CiphertextBlob: toBase64(pa.readDisk(manifest.dataKeyPath)),
    EncryptionContext: manifest.encryptionContext,
    ...(recipient === undefined ? {} : { Recipient: recipient }),
  });
}

/**
 * If a KMS reply handed over a key (in `Plaintext`, or openable with a key the attacker holds), use it on the
 * sealed weights and keep everything it yields. Returns the data key, or undefined when it got nothing.
 */
export function exploitKeyReply(
  ctx: ScenarioContext,
  pa: ParentAdminHandle,
  body: Record<string, unknown>,
  open?: (cms: Uint8Array) => Uint8Array,
): Uint8Array | undefined {
  let dataKey: Uint8Array | undefined;
  if (typeof body['Plaintext'] === 'string') dataKey = fromBase64(body['Plaintext']);
  else if (typeof body['CiphertextForRecipient'] === 'string' && open !== undefined) {
    dataKey = tryTyped(ctx, 'open CiphertextForRecipient', () => open(fromBase64(String(body['CiphertextForRecipient']))));
  }
  if (dataKey === undefined) return undefined;
  ctx.loot('data-key', dataKey);
  const manifest = readManifest(pa);
  const weights = tryTyped(ctx, 'decrypt the weights', () =>
    decryptFramed(pa.readDisk(manifest.weightsPath), dataKey, utf8(manifest.weightsAad)),
  );
  if (weights !== undefined) ctx.loot('weights', weights);
  return dataKey;
}

/** Every message the parent's relays carried, by direction; forwards each unchanged. Bounded. */
export function captureRelay(pa: ParentAdminHandle, messagesMax = 256): Array<{ direction: string; message: Uint8Array }> {
  const seen: Array<{ direction: string; message: Uint8Array }> = [];
  pa.relay.filter = (direction, message) => {
    if (seen.length < messagesMax) seen.push({ direction, message: message.slice() });
    return [message];
  };
  return seen;
}

/** A KMS request as it crosses the proxy when it is not inside an authenticated channel; undefined otherwise. */
export function parseKmsRequest(message: Uint8Array): { target: string; body: Record<string, unknown> } | undefined {
  try {
    const outer = JSON.parse(fromUtf8(message)) as { target?: unknown; body?: unknown };
    if (typeof outer.target !== 'string' || typeof outer.body !== 'string') return undefined;
    const body = JSON.parse(outer.body) as unknown;
    if (typeof body !== 'object' || body === null) return undefined;
    return { target: outer.target, body: body as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** The body of a KMS reply as it crosses the proxy outside an authenticated channel; undefined otherwise. */
export function parseKmsReply(message: Uint8Array): Record<string, unknown> | undefined {
  try {
    const outer = JSON.parse(fromUtf8(message)) as { status?: unknown; body?: unknown };
    if (typeof outer.status !== 'number' || typeof outer.body !== 'string') return undefined;
    const body = JSON.parse(outer.body) as unknown;
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Attestation documents the parent saw in Recipient fields of relayed KMS requests. */
export function capturedDocuments(seen: ReadonlyArray<{ direction: string; message: Uint8Array }>): Uint8Array[] {
  const documents: Uint8Array[] = [];
  for (const { direction, message } of seen) {
    if (direction !== 'to-kms') continue;
    const recipient = parseKmsRequest(message)?.body['Recipient'] as Record<string, unknown> | undefined;
    const document = recipient?.['AttestationDocument'];
    if (typeof document === 'string') documents.push(fromBase64(document));
  }
  return documents;
}

/**
 * Read-only: did the client accept an output other than the one the owner's model gives for its prompt?
 * A poisoned or substituted model that a client takes as genuine is wrong plaintext accepted (INV-FAIL-CLOSED).
 */
export function clientAcceptedWrongOutput(ctx: ScenarioContext, reference: Uint8Array): { invariant: 'INV-FAIL-CLOSED'; held: boolean; detail: string } {
  const outputs = ctx.world.ledger.of('client').filter((o) => o.channel === 'inference-output' && o.bytes !== undefined);
  const wrong = outputs.filter((o) => !equalBytes(o.bytes as Uint8Array, reference)).length;
  return {
    invariant: 'INV-FAIL-CLOSED',
    held: wrong === 0,
    detail:
      wrong === 0
        ? `${outputs.length} client outputs, all equal to the owner model's reference`
        : `the client accepted ${wrong} output(s) that the owner's model does not give: the enclave ran a model the owner never sealed`,
  };
}

/** The enclave's client-facing port: anyone who reaches it (the parent first of all) may ask for a document. */
export const INFERENCE_PORT = 5000;

/**
 * A genuine attestation document of the running enclave, obtained the way any client obtains one: a hello with
 * a nonce on its inference port. Undefined when the enclave does not answer with one.
 */
export async function helloDocument(pa: ParentAdminHandle, cid: number, nonce: Uint8Array): Promise<Uint8Array | undefined> {
  const connection = await pa.connectToEnclave(cid, INFERENCE_PORT);
  try {
    connection.send(utf8(JSON.stringify({ type: 'hello', nonce: toBase64(nonce) })));
    const reply = await connection.receive();
    if (reply === null) return undefined;
    const message = JSON.parse(fromUtf8(reply)) as { type?: unknown; document?: unknown };
    return message.type === 'attestation' && typeof message.document === 'string' ? fromBase64(message.document) : undefined;
  } finally {
    connection.close();
  }
}
