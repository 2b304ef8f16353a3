import { attestedKeyPolicy, unattestedKeyPolicy } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { kmsOutcome } from '../common.ts';
import { deployUnderPolicy, ownerModelOnDisk, refusedForTheMistake, type PolicyDeployment } from '../key-policy/helpers.ts';
import { decryptDataKey, exploitKeyReply, parentAdmin, readManifest } from '../parent-admin/helpers.ts';

/**
 * The production policy with the console's default "account root may kms:*" statement still in it: attestation
 * gates Decrypt (the Deny holds), but every principal of the account may also rewrite the policy.
 */
function productionPolicyWithRootAdmin(accountId: string, ownerArn: string, roleArn: string, pcr0: string): object {
  const policy = attestedKeyPolicy(ownerArn, roleArn, pcr0) as { Version: string; Statement: object[] };
  const root = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' };
  return { ...policy, Statement: [root, ...policy.Statement] };
}

/** RB-03: the parent restores the permissive bring-up policy, then decrypts. */
export default defineScenario<PolicyDeployment>({
  id: 'RB-03',
  name: 'pa.key-policy.restore-old-policy',
  title: 'The parent role puts back the permissive bring-up key policy, then decrypts without attestation',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED', 'INV-AUDIT'],
  tags: { attack: ['T1098', 'T1078.004'], atlas: ['AML.T0025'] },
  defence: 'policyLint',
  expect: 'blocked',
  teaching:
    'During bring-up the key policy let the parent role Decrypt freely; production replaced it with the attested policy, and its Deny stops a Decrypt without attestation. But the production policy kept the default statement giving the account root kms:*, so the parent role may also PutKeyPolicy, and it puts the old text back. ' +
    'Changing a key policy must need the owner’s authority, not the parent’s: KMS lints every policy and refuses one that hands the whole account kms:*, so the deployment fails closed (and every PutKeyPolicy is audited before it acts). ' +
    'With the linter off (the control) the rollback is accepted, audited but effective, and the parent decrypts the data key.',
  setup: (ctx) => {
    const { world } = ctx;
    return deployUnderPolicy(ctx, productionPolicyWithRootAdmin(world.accountId, world.arns.owner, world.arns.parentRole, world.approvedPcr0));
  },
  async attack(ctx) {
    const pa = parentAdmin(ctx);
    if (!ownerModelOnDisk(ctx, pa, 'no key to attack')) return;
    const { keyId } = readManifest(pa);
    const before = await decryptDataKey(pa);
    ctx.note(`Decrypt under the production policy: ${kmsOutcome(before)}`);
    // The bring-up policy is no secret: it sits in the deployment repository the admin maintains.
    const bringUp = unattestedKeyPolicy(ctx.world.arns.owner, ctx.world.arns.parentRole);
    // It does not mind locking itself out of later changes: it skips KMS's lockout safety check.
    const put = await pa.kms('PutKeyPolicy', { KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(bringUp), BypassPolicyLockoutSafetyCheck: true });
    ctx.note(`PutKeyPolicy (bring-up text) by the parent role: ${kmsOutcome(put)}`);
    const after = await decryptDataKey(pa);
    ctx.note(`Decrypt after the rollback: ${kmsOutcome(after)}`);
    exploitKeyReply(ctx, pa, after.body);
  },
  check: (_ctx, state) => [refusedForTheMistake(state, 'KP_ACCOUNT_WIDE_KMS_ALL')],
});
