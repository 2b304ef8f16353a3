import { defineScenario } from '../../define.ts';
import { MANIFEST_PATH, parentAdmin } from '../parent-admin/helpers.ts';
import { deployUnderPolicy, ownerFilesPresent } from '../key-policy/helpers.ts';
import { launchAndDrain, pcr0Of, superseded09Image } from './helpers.ts';
import { imageReleasePolicy } from './releases.ts';

/** RB-02: an older approved image is still an approved image until the policy says otherwise. */
export default defineScenario<{ readonly currentEnclaveId: string }>({
  id: 'RB-02',
  name: 'pa.enclave.superseded-image',
  title: 'The parent runs the superseded 0.9 image, whose PCR0 the key policy still allows',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-KEYS-ATTESTED'],
  tags: { attack: [], atlas: ['AML.T0025', 'AML.T0048.004'] },
  defence: 'policyRotation',
  expect: 'blocked',
  teaching:
    'Release 0.9 of the enclave app had a diagnostics port that dumps what it decrypted; 1.0 removed it. The parent-admin kept the 0.9 EIF and launches it: it is a genuine image, signed off by the owner once. ' +
    'When the owner approved 1.0 it rotated the key policy to name only 1.0’s PCR0, so KMS refuses the 0.9 enclave. ' +
    'Without the rotation (the control) both measurements stay allowed, the 0.9 enclave gets the data key and its diagnostics port hands key and weights to the parent.',
  async setup(ctx) {
    const { world } = ctx;
    const policy = imageReleasePolicy(world.arns.owner, world.arns.parentRole, world.approvedPcr0, pcr0Of(superseded09Image()), world.defences.policyRotation);
    const state = await deployUnderPolicy(ctx, policy);
    if (state.enclave?.ready !== true) throw new Error('release 1.0 did not come up');
    return { currentEnclaveId: state.enclave.record.enclaveId };
  },
  async attack(ctx, { currentEnclaveId }) {
    const pa = parentAdmin(ctx);
    if (!ownerFilesPresent(pa, MANIFEST_PATH)) return;
    // Its instance has room for one enclave: the parent stops release 1.0 and starts 0.9 in its place.
    pa.terminateEnclave(currentEnclaveId);
    await launchAndDrain(ctx, pa, superseded09Image(), 'the 0.9 image');
  },
});
