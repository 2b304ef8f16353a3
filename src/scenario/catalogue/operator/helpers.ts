// What the infrastructure operator does with the host's management API. Shared by the OP scenarios (and the
// physical teaching scenario, whose attacker is an operator with hands on the card). Nothing here touches a
// TCB object: every call goes through the operator handle or a capability the scenario's setup handed over.
import {
  decryptFramed,
  fromBase64,
  fromHex,
  fromUtf8,
  generateRsaKeyPair,
  openEnvelopedData,
  toBase64,
  utf8,
  zeroPcr,
} from '../../../crypto/index.ts';
import type { AttestationFields, InstanceSummary, VolumeFile } from '../../../hypervisor/index.ts';
import type { FramedConnection } from '../../../ports/index.ts';
import type { OperatorHandle, ScenarioContext } from '../../define.ts';
import { attestedRecipient, tryTyped } from '../common.ts';

/** The vsock port of the parent's KMS proxy (a fixed, documented port of the customer's software). */
export const KMS_PROXY_PORT = 8000;
const MANIFEST_PATH = 'model/manifest.json';
const PCR_COUNT = 16;

export function operator(ctx: ScenarioContext): OperatorHandle {
  const handle = ctx.attacker.operator;
  if (handle === undefined) throw new Error('this scenario needs the operator handle');
  return handle;
}

/** Instances that run at least one enclave: where the interesting memory is. */
export function enclaveHosts(op: OperatorHandle): InstanceSummary[] {
  return op.listInstances().filter((i) => i.enclaveCount > 0);
}

/** Notes that a call the attack needs does not exist on this host (the defence of an absent API). */
export function absent(ctx: ScenarioContext, call: string): void {
  ctx.note(`the operator API has no ${call} on this host: nothing to call`);
}

/** The owner's manifest and sealed data key as a volume snapshot shows them (ciphertext, by design). */
export function sealedKeyFrom(volume: readonly VolumeFile[]): { manifest: Record<string, unknown>; dataKeyBlob: Uint8Array; weights: Uint8Array } | undefined {
  const file = (path: string) => volume.find((f) => f.path === path)?.data;
  const manifestBytes = file(MANIFEST_PATH);
  if (manifestBytes === undefined) return undefined;
  const manifest = JSON.parse(fromUtf8(manifestBytes)) as Record<string, unknown>;
  const dataKeyBlob = file(String(manifest['dataKeyPath']));
  const weights = file(String(manifest['weightsPath']));
  if (dataKeyBlob === undefined || weights === undefined) return undefined;
  return { manifest, dataKeyBlob, weights };
}

/** The PCRs a forger claims for the approved enclave: the published PCR0, every other platform PCR zero. */
export function approvedPcrs(approvedPcr0: string): Map<number, Uint8Array> {
  const pcrs = new Map<number, Uint8Array>();
  for (let i = 0; i < PCR_COUNT; i++) pcrs.set(i, zeroPcr());
  pcrs.set(0, fromHex(approvedPcr0));
  return pcrs;
}

/** What an attacker needs to pose as the approved enclave: a signer for documents, and a way onto the parent's vsock. */
export interface EnclaveImpersonation {
  sign(instanceId: string, fields: AttestationFields): Uint8Array;
  connectVsock(instanceId: string, port: number): Promise<FramedConnection>;
}

/**
 * The forged-identity key theft: a document with the approved PCR0 over the attacker's own RSA key, sent as
 * an enclave's Decrypt through the parent's own KMS proxy (which signs with the parent's role). If KMS
 * answers, the attacker opens CiphertextForRecipient, then the sealed weights. Returns whether it got the key.
 */
export async function stealKeyWithForgedDocument(
  ctx: ScenarioContext,
  forger: EnclaveImpersonation,
  options: { readonly instanceId: string; readonly approvedPcr0: string; readonly volume: readonly VolumeFile[] },
): Promise<boolean> {
  const sealed = sealedKeyFrom(options.volume);
  if (sealed === undefined) {
    ctx.note('no sealed data key on the volume');
    return false;
  }
  const recipient = generateRsaKeyPair(ctx.world.sim.prng('attacker.operator.recipient'), 2048);
  const document = forger.sign(options.instanceId, { pcrs: approvedPcrs(options.approvedPcr0), publicKey: recipient.spki, userData: null, nonce: null });
  const connection = await forger.connectVsock(options.instanceId, KMS_PROXY_PORT);
  const request = {
    KeyId: sealed.manifest['keyId'],
    CiphertextBlob: toBase64(sealed.dataKeyBlob),
    EncryptionContext: sealed.manifest['encryptionContext'],
    Recipient: attestedRecipient(document),
  };
  connection.send(utf8(JSON.stringify({ target: 'TrentService.Decrypt', body: JSON.stringify(request) })));
  const reply = await connection.receive();
  connection.close();
  if (reply === null) {
    ctx.note('the KMS proxy closed without a reply');
    return false;
  }
  const { status, body } = JSON.parse(fromUtf8(reply)) as { status: number; body: string };
  const answer = JSON.parse(body) as Record<string, unknown>;
  if (status !== 200 || typeof answer['CiphertextForRecipient'] !== 'string') {
    ctx.note(`KMS refused the forged identity: ${String(answer['__type'])}`);
    return false;
  }
  const dataKey = openEnvelopedData(fromBase64(answer['CiphertextForRecipient']), recipient);
  ctx.loot('data-key', dataKey);
  ctx.note('KMS released the data key to the forged enclave identity');
  const weights = tryTyped(ctx, 'decrypt the weights', () => decryptFramed(sealed.weights, dataKey, utf8(String(sealed.manifest['weightsAad']))));
  if (weights !== undefined) ctx.loot('weights', weights);
  return true;
}

/** The forged-identity key theft on every instance that runs an enclave, from a snapshot of that instance's volume. */
export async function stealKeyFromEnclaveHosts(ctx: ScenarioContext, op: OperatorHandle, forger: EnclaveImpersonation, approvedPcr0: string): Promise<void> {
  if (op.snapshotVolume === undefined) throw new Error('the operator handle lacks snapshotVolume');
  for (const instance of enclaveHosts(op)) {
    const volume = op.snapshotVolume(instance.instanceId);
    await stealKeyWithForgedDocument(ctx, forger, { instanceId: instance.instanceId, approvedPcr0, volume });
  }
}
