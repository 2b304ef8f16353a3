import type { LaunchedEnclave } from '../../../world/index.ts';
import { defineScenario } from '../../define.ts';
import { coTenantImage } from './helpers.ts';

/** The co-tenant's capability on a parent shared by several teams: it submits its own image to run there. */
interface SharedParentSlot {
  launch(image: Uint8Array): Promise<LaunchedEnclave>;
  readonly approvedImage: Uint8Array;
}

const CO_TENANT_ENCLAVE_MIB = 256;

export default defineScenario<SharedParentSlot>({
  id: 'CT-02',
  name: 'ct.kms.other-image-same-parent',
  title: 'A second enclave of another image on the same parent asks KMS for our key',
  attacker: 'co-tenant',
  promises: ['P2'],
  invariants: ['INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0048.004'] },
  defence: 'attestedKeyPolicy',
  expect: 'blocked',
  teaching:
    'Another team runs its own enclave on our parent: same role, same proxy, same files, a genuine attestation document — but of its own image. ' +
    'Our key policy names our image’s PCR0, so KMS refuses a document whose PCR0 differs, however valid its signature. ' +
    'In the control the policy trusts the parent’s role alone, KMS releases the key to the other image, and INV-KEYS-ATTESTED reports a release to an unapproved PCR0.',
  async setup(ctx) {
    await ctx.deployAndLaunch();
    const { world } = ctx;
    // The parent-admin legitimately runs workloads for several teams; the co-tenant's enclave is its own code, not our TCB.
    return {
      approvedImage: world.approvedImage,
      launch: async (image) => {
        const record = world.host.launchEnclave(world.parent, image, { memoryMiB: CO_TENANT_ENCLAVE_MIB, cpuCount: 1, principal: 'co-tenant' });
        try {
          await record.started;
          return { record, ready: true, failure: undefined };
        } catch (error) {
          return { record, ready: false, failure: error instanceof Error ? error.message : String(error) };
        }
      },
    };
  },
  async attack(ctx, slot) {
    const launched = await slot.launch(coTenantImage(slot.approvedImage));
    ctx.note(`the co-tenant's enclave (PCR0 ${launched.record.pcrs[0]?.slice(0, 12)}…) ${launched.ready ? 'got the key and serves' : `stopped: ${launched.failure}`}`);
  },
});
