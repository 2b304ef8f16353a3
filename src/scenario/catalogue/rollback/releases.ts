// The owner's release history, as setup recreates it: the key policy it writes for each release, and the older
// release still sealed under the same key. Everything here is the owner's doing, never the attacker's.
import { encryptFramed, fromBase64, utf8, wipe } from '../../../crypto/index.ts';
import { attestedKeyPolicy, ENCRYPTION_CONTEXT, generateModelFile, PATHS, WEIGHTS_AAD, type World } from '../../../world/index.ts';

export const CURRENT_MODEL = String(ENCRYPTION_CONTEXT['model']);
/** Release 0.9 of the model went out under its own name in the encryption context. */
export const OLD_MODEL = `${CURRENT_MODEL}-0.9`;
export const OLD_PATHS = { manifest: 'model-0.9/manifest.json', dataKey: 'model-0.9/datakey.blob', weights: 'model-0.9/weights.enc' } as const;

/** The owner's policy for release 1.0: the old 0.9 measurement stays in it unless the owner rotates it out. */
export function imageReleasePolicy(ownerArn: string, roleArn: string, currentPcr0: string, oldPcr0: string, rotated: boolean): object {
  const policy = attestedKeyPolicy(ownerArn, roleArn, currentPcr0) as { Statement: Array<Record<string, any>> };
  if (!rotated) {
    const allow = policy.Statement.find((s) => s['Sid'] === 'EnclaveMayDecryptOnlyTheApprovedImage');
    allow!['Condition']['StringEqualsIgnoreCase']['kms:RecipientAttestation:ImageSha384'] = [currentPcr0, oldPcr0];
  }
  return policy;
}

/** The owner's policy for model 1.0: the enclave may open only blobs whose context names the current model, unless not rotated. */
export function modelReleasePolicy(world: World): object {
  const policy = attestedKeyPolicy(world.arns.owner, world.arns.parentRole, world.approvedPcr0) as { Statement: Array<Record<string, any>> };
  const allow = policy.Statement.find((s) => s['Sid'] === 'EnclaveMayDecryptOnlyTheApprovedImage')!;
  allow['Condition']['StringEquals'] = { 'kms:EncryptionContext:model': world.defences.policyRotation ? CURRENT_MODEL : [CURRENT_MODEL, OLD_MODEL] };
  return policy;
}

/** The owner's earlier release, sealed under the same key with its own context; it is still on the parent's disk. */
export async function sealOldRelease(world: World, keyId: string): Promise<void> {
  const context = { ...ENCRYPTION_CONTEXT, model: OLD_MODEL };
  const reply = await world.kmsEndpoint.call('owner', { arn: world.arns.owner }, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context });
  if (reply.status !== 200) throw new Error(`owner GenerateDataKey failed: ${JSON.stringify(reply.body)}`);
  const dataKey = fromBase64(String(reply.body['Plaintext']));
  const modelFile = generateModelFile(world.sim.prng('owner.model-0.9'), `${OLD_MODEL}; licence: owner only`);
  const sealed = encryptFramed(modelFile, dataKey, { random: world.sim.prng('owner.frames-0.9'), aad: utf8(WEIGHTS_AAD) });
  wipe(dataKey);
  const manifest = { keyId, encryptionContext: context, weightsAad: WEIGHTS_AAD, dataKeyPath: PATHS.dataKey, weightsPath: PATHS.weights };
  const files: Array<[string, Uint8Array]> = [
    [OLD_PATHS.manifest, utf8(JSON.stringify(manifest))],
    [OLD_PATHS.dataKey, fromBase64(String(reply.body['CiphertextBlob']))],
    [OLD_PATHS.weights, sealed],
  ];
  for (const [path, data] of files) {
    world.parent.disk.write(path, data);
    world.observe('parent-admin', `disk-write ${path}`, data);
  }
}
