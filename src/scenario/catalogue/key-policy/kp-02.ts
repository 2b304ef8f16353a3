import { toBase64 } from '../../../crypto/index.ts';
import { defineScenario } from '../../define.ts';
import { kmsOutcome } from '../common.ts';
import { exploitKeyReply, parentAdmin, readManifest } from '../parent-admin/helpers.ts';
import { deployUnderPolicy, ownerModelOnDisk, partiesOf, refusedForTheMistake, type PolicyDeployment } from './helpers.ts';
import { ungatedOperationsPolicy } from './policies.ts';

/** KP-02: Decrypt is gated on the image, but ReEncrypt and GenerateDataKey are open to the parent's role. */
export default defineScenario<PolicyDeployment>({
  id: 'KP-02',
  name: 'pa.key-policy.ungated-key-operations',
  title: 'Only Decrypt is gated: the parent re-encrypts the data key to a key of its own, and generates data keys in plaintext',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: ['T1078.004'], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'policyLint',
  expect: 'blocked',
  teaching:
    'The owner gated Decrypt on the enclave image but let the parent role ReEncrypt and GenerateDataKey "for key rotation". ReEncrypt moves the sealed data key under a key the parent owns, which it then decrypts freely; GenerateDataKey hands it fresh keys in plaintext that the enclave would trust. ' +
    'KMS lints every policy and refuses one that allows a key-yielding operation without an attestation condition, so the deployment fails closed. ' +
    'With the linter off (the control) the parent ends up with the model’s data key and the weights.',
  setup: (ctx) => deployUnderPolicy(ctx, ungatedOperationsPolicy(partiesOf(ctx.world))),
  async attack(ctx) {
    const pa = parentAdmin(ctx);
    if (!ownerModelOnDisk(ctx, pa, 'nothing to re-encrypt')) return;
    const manifest = readManifest(pa);
    const generated = await pa.kms('GenerateDataKey', { KeyId: manifest.keyId, KeySpec: 'AES_256' });
    ctx.note(`GenerateDataKey without Recipient: ${kmsOutcome(generated)}`);

    const role = ctx.world.arns.parentRole;
    const own = await pa.kms('CreateKey', {
      Description: 'parent admin scratch key',
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: role }, Action: 'kms:*', Resource: '*' }] }),
    });
    const ownKeyId = (own.body['KeyMetadata'] as Record<string, unknown> | undefined)?.['KeyId'];
    if (typeof ownKeyId !== 'string') {
      ctx.note(`CreateKey of its own key: HTTP ${own.status} ${String(own.body['__type'])}`);
      return;
    }
    const moved = await pa.kms('ReEncrypt', {
      CiphertextBlob: toBase64(pa.readDisk(manifest.dataKeyPath)),
      SourceEncryptionContext: manifest.encryptionContext,
      DestinationKeyId: ownKeyId,
    });
    ctx.note(`ReEncrypt to its own key: ${kmsOutcome(moved)}`);
    if (typeof moved.body['CiphertextBlob'] !== 'string') return;
    const opened = await pa.kms('Decrypt', { CiphertextBlob: moved.body['CiphertextBlob'] });
    ctx.note(`Decrypt under its own key: ${kmsOutcome(opened)}`);
    exploitKeyReply(ctx, pa, opened.body);
  },
  check: (_ctx, state) => [refusedForTheMistake(state, 'KP_UNGATED_KEY_RELEASE')],
});
