// The parent-admin's hold on the bounce buffers while the enclave streams the weights (DEV-07): it sees each
// staging write land in its memory and may write the slot again before the device reads it. What both scenarios
// then judge: the enclave must stop with a typed error and serve nothing, or serve exactly the owner's model.
import type { Deployment } from '../../../world/index.ts';
import { clientInference, deployModel, launchEnclave } from '../../../world/index.ts';
import type { CheckVerdict, ScenarioContext } from '../../define.ts';
import { clientAcceptedWrongOutput, parentAdmin } from '../parent-admin/helpers.ts';
import { modelOnDevices, noteLaunch } from './helpers.ts';

/** Bound on the staging writes one attack keeps or rewrites. */
export const WRITES_KEPT_MAX = 64;

/** Rewrites the bytes of one staging write (its index counts writes since the launch), or leaves it (undefined). */
export type StagingRewrite = (write: { readonly index: number; readonly slot: number; readonly bytes: Uint8Array }) => Uint8Array | undefined;

export interface InFlightState {
  readonly deployment: Deployment;
}

export async function deployOnly(ctx: ScenarioContext): Promise<InFlightState> {
  return { deployment: await deployModel(ctx.world) };
}

/**
 * Launches the enclave while `rewrite` judges every staging write of the first device; a rewritten slot is written
 * back at once. The watcher sees its own write-back too: a flag keeps it from acting on that.
 */
export async function launchWithRewrites(ctx: ScenarioContext, state: InFlightState, rewrite: StagingRewrite): Promise<void> {
  const pa = parentAdmin(ctx);
  const devices = pa.devices;
  if (devices === undefined) throw new Error('the parent-admin handle has no devices');
  let index = 0;
  let rewriting = false;
  let rewritten = 0;
  const deviceIdAtLaunch = ctx.world.accelerators[0]?.deviceId;
  if (deviceIdAtLaunch === undefined) throw new Error('the world has no accelerator');
  // Watching needs the device assigned through the parent, which happens at launch: arm the watcher on first use.
  let armed = false;
  const arm = () => {
    if (armed || !devices.ids().includes(deviceIdAtLaunch)) return;
    armed = true;
    devices.watchStaging(deviceIdAtLaunch, (slot, bytes) => {
      if (rewriting || index >= WRITES_KEPT_MAX) return;
      const replacement = rewrite({ index: index++, slot, bytes });
      if (replacement === undefined) return;
      rewriting = true;
      try {
        devices.writeStaging(deviceIdAtLaunch, slot, replacement);
        rewritten++;
      } finally {
        rewriting = false;
      }
    });
  };
  const launching = launchEnclave(ctx.world);
  arm();
  const launched = await launching;
  noteLaunch(ctx, launched);
  ctx.note(`${rewritten} staging write(s) rewritten`);
  const loaded = modelOnDevices(ctx);
  // HARNESS: the device's own event log says whether a refused transfer still wrote device memory (read, not acted on).
  const committed = ctx.world.accelerators[0]?.drainEvents().filter((e) => e.kind === 'TAG_MISMATCH' && e.fields['committed'] === true).length ?? 0;
  ctx.failClosed('bounce buffers rewritten in flight', {
    typed: !launched.ready && /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/.test(launched.failure ?? ''),
    stateUnchanged: !loaded && committed === 0,
    detail: launched.ready
      ? `the enclave loaded a model from ${rewritten} rewritten buffer(s) and serves it`
      : `the enclave stopped: ${launched.failure ?? 'no reason'}${loaded ? ' (after loading a model)' : ''}${committed > 0 ? `; ${committed} refused transfer(s) still wrote device memory` : ''}`,
  });
  if (launched.ready) {
    const outcome = await clientInference(ctx.world, launched.record, state.deployment);
    ctx.note(`client inference: ${outcome.completed ? (outcome.matches ? 'the owner’s model answered' : 'another model answered') : outcome.error}`);
  }
}

export function servedOnlyTheOwnersModel(ctx: ScenarioContext, state: InFlightState): CheckVerdict[] {
  return [clientAcceptedWrongOutput(ctx, state.deployment.reference)];
}
