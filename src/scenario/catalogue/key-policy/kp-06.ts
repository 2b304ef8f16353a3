import { toBase64 } from '../../../crypto/index.ts';
import type { Deployment } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { kmsOutcome } from '../common.ts';
import { exploitKeyReply, parentAdmin, readManifest } from '../parent-admin/helpers.ts';

interface State {
  readonly deployment: Deployment;
  readonly grantToken: string | undefined;
}

/** KP-06: a grant is a second door to the key; the policy's explicit Deny is what keeps it from widening access. */
export default defineScenario<State>({
  id: 'KP-06',
  name: 'pa.key-policy.unconstrained-grant',
  title: 'A grant gives the parent role Decrypt with no attestation constraint',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: ['T1078.004', 'T1098'], atlas: ['AML.T0025'] },
  defence: 'attestedKeyPolicy',
  expect: 'blocked',
  teaching:
    'After deploying, the owner (or an automation acting for it) creates a grant that lets the parent role Decrypt, with no constraint on attestation: grants are easy to forget because they do not show in the key policy. ' +
    'The key policy denies Decrypt to the parent role whenever the attestation condition key is absent, and an explicit Deny in the policy beats any grant, so KMS refuses. ' +
    'With the attested policy and its Deny off (the control) nothing stops the grant-backed Decrypt and the parent gets the data key.',
  async setup(ctx) {
    const { deployment } = await ctx.deployAndLaunch();
    // The owner's own call, as it would make it from its console: a grant naming the role, no constraints.
    const reply = await ctx.world.kmsEndpoint.call('owner', { arn: ctx.world.arns.owner }, 'CreateGrant', {
      KeyId: deployment.keyId,
      GranteePrincipal: ctx.world.arns.parentRole,
      Operations: ['Decrypt'],
      Name: 'inference-batch-job',
    });
    const token = reply.body['GrantToken'];
    ctx.note(`owner CreateGrant: ${kmsOutcome(reply)}`);
    if (reply.status !== 200) throw new Error(`owner CreateGrant failed: ${JSON.stringify(reply.body)}`);
    return { deployment, grantToken: typeof token === 'string' ? token : undefined };
  },
  async attack(ctx, { grantToken }) {
    const pa = parentAdmin(ctx);
    const manifest = readManifest(pa);
    // The grant token is no secret from the grantee: automation passes it to the role that uses the grant.
    const reply = await pa.kms('Decrypt', {
      CiphertextBlob: toBase64(pa.readDisk(manifest.dataKeyPath)),
      EncryptionContext: manifest.encryptionContext,
      ...(grantToken === undefined ? {} : { GrantTokens: [grantToken] }),
    });
    ctx.note(`grant-backed Decrypt without Recipient: ${kmsOutcome(reply)}`);
    exploitKeyReply(ctx, pa, reply.body);
  },
});
