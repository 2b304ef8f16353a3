// Setup and attack steps shared by the KP scenarios. Setup acts as the owner (it writes the policy); attacks use
// only the attacker's handles.
import { defaultEnclaveImage } from '../../../enclave/index.ts';
import { deployModel, launchEnclave, type Deployment, type LaunchedEnclave, type World } from '../../../world/index.ts';
import type { CheckVerdict, ParentAdminHandle, ScenarioContext } from '../../define.ts';
import { kmsOutcome } from '../common.ts';
import { decryptDataKey, exploitKeyReply, MANIFEST_PATH, parentAdmin } from '../parent-admin/helpers.ts';
import { collectStolen, EXFIL_PORT, tamperedImage } from '../parent-admin/tampered-image.ts';
import type { PolicyParties } from './policies.ts';

export function partiesOf(world: World): PolicyParties {
  return { ownerArn: world.arns.owner, parentRoleArn: world.arns.parentRole, accountId: world.accountId, approvedPcr0: world.approvedPcr0 };
}

/** The owner's deployment under a policy it wrote: either in place, or refused by KMS with KMS's words. */
export interface PolicyDeployment {
  readonly deployment: Deployment | undefined;
  /** KMS's refusal of the owner's policy (the AWS error body), when the deployment failed closed. */
  readonly refusal: string | undefined;
  readonly enclave: LaunchedEnclave | undefined;
}

const OWNER_CREATE_KEY_FAILED = 'owner CreateKey failed: ';

/**
 * The owner deploys with `policy`; if KMS refuses the policy at CreateKey, nothing is uploaded and no enclave
 * is launched: the deployment fails closed, which is what a refused policy must mean. Any other failure throws.
 */
export async function deployUnderPolicy(ctx: ScenarioContext, policy: object, options: { readonly launch?: boolean } = {}): Promise<PolicyDeployment> {
  let deployment: Deployment;
  try {
    deployment = await deployModel(ctx.world, { policy });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.startsWith(OWNER_CREATE_KEY_FAILED)) throw error;
    const refusal = message.slice(OWNER_CREATE_KEY_FAILED.length);
    ctx.note(`KMS refused the owner's key policy: ${refusal}`);
    return { deployment: undefined, refusal, enclave: undefined };
  }
  ctx.note(`the owner's key ${deployment.keyId} holds the policy as written`);
  const enclave = options.launch === false ? undefined : await launchEnclave(ctx.world);
  if (enclave !== undefined) ctx.note(`approved enclave ${enclave.record.enclaveId}: ${enclave.ready ? 'serving' : `stopped (${enclave.failure})`}`);
  return { deployment, refusal: undefined, enclave };
}

/**
 * Read-only: when KMS refused the owner's policy, it must have refused it for this mistake (the finding code in
 * its message), not for something incidental. Holds vacuously when the policy was stored.
 */
export function refusedForTheMistake(state: PolicyDeployment, findingCode: string): CheckVerdict {
  if (state.refusal === undefined) return { invariant: 'SCENARIO-LINT-REASON', held: true, detail: 'the policy was stored; nothing to attribute' };
  const held = state.refusal.includes(findingCode);
  return {
    invariant: 'SCENARIO-LINT-REASON',
    held,
    detail: held ? `refused with ${findingCode}` : `refused, but not with ${findingCode}: ${state.refusal.slice(0, 300)}`,
  };
}

/** True when the owner's files are on the parent's disk (a refused deployment leaves none). */
export function ownerFilesPresent(pa: ParentAdminHandle, path: string): boolean {
  return pa.listDisk().includes(path);
}

/**
 * True when the owner's model is on the parent's disk. A refused deployment leaves none: the attack then has
 * `nothing` (to decrypt, to load, …), notes so and stops.
 */
export function ownerModelOnDisk(ctx: ScenarioContext, pa: ParentAdminHandle, nothing: string): boolean {
  if (ownerFilesPresent(pa, MANIFEST_PATH)) return true;
  ctx.note(`no model on the disk: ${nothing}`);
  return false;
}

/** The attack of KP-01 and KP-05: the parent role calls Decrypt with no Recipient and uses whatever KMS hands back. */
export async function decryptWithoutRecipient(ctx: ScenarioContext): Promise<void> {
  const pa = parentAdmin(ctx);
  if (!ownerModelOnDisk(ctx, pa, 'nothing to decrypt')) return;
  const reply = await decryptDataKey(pa);
  ctx.note(`Decrypt without Recipient: ${kmsOutcome(reply)}`);
  exploitKeyReply(ctx, pa, reply.body);
}

/**
 * The attack of KP-03 and KP-04: the parent launches its own build on the owner's files and collects what it
 * kept. The parent holds the customer's EIF (it launches it); its own build wraps it to keep what it decrypts.
 */
export async function launchOwnBuild(ctx: ScenarioContext, options: { readonly debugMode: boolean }): Promise<void> {
  const pa = parentAdmin(ctx);
  if (!ownerModelOnDisk(ctx, pa, 'nothing for an enclave to load')) return;
  await launchAndCollect(ctx, pa, tamperedImage(defaultEnclaveImage()), options);
}

/**
 * The parent launches an image of its own making and asks it for what it kept (see tampered-image.ts). Each item
 * goes to the attacker's loot; a refusal along the way is a typed error, noted. Returns how many items it got.
 */
export async function launchAndCollect(
  ctx: ScenarioContext,
  pa: ParentAdminHandle,
  image: Uint8Array,
  options: { readonly debugMode: boolean },
): Promise<number> {
  const launched = await pa.launchEnclave({ image, debugMode: options.debugMode });
  ctx.note(`own image launched${options.debugMode ? ' in debug mode' : ''}: ${launched.ready ? 'it got its key' : `it stopped (${launched.failure})`}`);
  if (!launched.ready) return 0;
  const connection = await pa.connectToEnclave(launched.record.cid, EXFIL_PORT);
  const items = await collectStolen(connection);
  for (const [i, item] of items.entries()) ctx.loot(`exfil item ${i}`, item);
  ctx.note(`the own image handed over ${items.length} items`);
  return items.length;
}
