import { toHex } from '../../../crypto/index.ts';
import { defaultEnclaveImage, loadEnclaveImage } from '../../../enclave/index.ts';
import { ENCRYPTION_CONTEXT, PATHS } from '../../../world/index.ts';
import { CO_TENANT_ROLE_ARN } from '../../capabilities.ts';
import { defineScenario } from '../../define.ts';
import { coTenant } from '../co-tenant/helpers.ts';
import { collectStolen, EXFIL_PORT, tamperedImage } from '../parent-admin/tampered-image.ts';
import { deployUnderPolicy, partiesOf } from './helpers.ts';
import { tenantKeyPolicy } from './policies.ts';

interface State {
  /** Tenant B's own enclave image: its app hands its keys to its own parent (its data, its choice). */
  readonly tenantBImage: Uint8Array;
  /** What the platform's shared model registry holds for tenant A: ciphertext and the manifest, nothing else. */
  readonly registry: ReadonlyArray<{ readonly path: string; readonly data: Uint8Array }>;
}

const TENANT_B_MODEL = 'tenant-b-classifier';

/** KP-07: one platform key for two tenants; only the encryption context can tell their blobs apart. */
export default defineScenario<State>({
  id: 'KP-07',
  name: 'ct.key-policy.cross-tenant-decrypt',
  title: 'Two tenants share one key with no encryption-context condition; tenant B’s enclave opens tenant A’s data key',
  attacker: 'co-tenant',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'tenantContextBinding',
  expect: 'blocked',
  teaching:
    'A platform seals every tenant’s model under one KMS key, and its policy lets each tenant’s role Decrypt only from that tenant’s own enclave image. A ciphertext blob names only the key, so tenant B points its own (legitimately approved) enclave at tenant A’s blob and asks for it. ' +
    'The policy also ties each tenant’s image to its own model in the encryption context, which the blob is bound to, so KMS refuses B’s request for A’s model. ' +
    'Without that condition (the control) KMS releases A’s data key to B’s enclave, an image B wrote and controls, and the key-release checker sees a release to an image that is not A’s.',
  async setup(ctx) {
    const tenantBImage = tamperedImage(defaultEnclaveImage());
    const tenants = [
      { roleArn: ctx.world.arns.parentRole, pcr0: ctx.world.approvedPcr0, model: String(ENCRYPTION_CONTEXT['model']) },
      { roleArn: CO_TENANT_ROLE_ARN, pcr0: toHex(loadEnclaveImage(tenantBImage).measurements.pcr0), model: TENANT_B_MODEL },
    ];
    const policy = tenantKeyPolicy(partiesOf(ctx.world), tenants, ctx.world.defences.tenantContextBinding);
    const { deployment, enclave } = await deployUnderPolicy(ctx, policy);
    if (deployment === undefined || enclave?.ready !== true) throw new Error('tenant A’s deployment did not come up');
    const manifest = ctx.world.parent.disk.read(PATHS.manifest);
    return {
      tenantBImage,
      registry: [
        { path: PATHS.manifest, data: manifest },
        { path: PATHS.dataKey, data: deployment.dataKeyBlob },
        { path: PATHS.weights, data: deployment.sealedWeights },
      ],
    };
  },
  async attack(ctx, { tenantBImage, registry }) {
    const b = coTenant(ctx);
    // Tenant B downloads A's entry from the shared registry (ciphertext only) onto its own disk.
    for (const { path, data } of registry) {
      ctx.loot(`registry download ${path}`, data);
      b.writeDisk(path, data);
    }
    ctx.note(`downloaded tenant A's ${registry.length} registry files (ciphertext and manifest) onto its own disk`);
    const launched = await b.launchEnclave({ image: tenantBImage });
    ctx.note(`tenant B's enclave on tenant A's files: ${launched.ready ? 'it got the key' : `it stopped (${launched.failure})`}`);
    if (!launched.ready) return;
    const items = await collectStolen(await b.connectToEnclave(launched.record.cid, EXFIL_PORT));
    for (const [i, item] of items.entries()) ctx.loot(`exfil item ${i}`, item);
  },
});
