import type { CheckVerdict, ScenarioContext } from '../../define.ts';
import { defineScenario } from '../../define.ts';
import { parentAdmin } from '../parent-admin/helpers.ts';

interface State {
  readonly enclaveId: string;
}

/** Where the parent's state store keeps the app's sealed state (world/app-services.ts). */
const SEALED_STATE_PATH = 'enclave-state/sealed.bin';
const LOADED_EVENT = 'app.enclave.sealed-state-loaded';

/** Read-only: every sealed-state load the approved app reported, with whether it was the current version. */
function loads(ctx: ScenarioContext): Array<{ version: number; counter: number; current: boolean }> {
  return ctx.world.sim.trace.events
    .filter((e) => e.kind === LOADED_EVENT)
    .map((e) => ({ version: Number(e.fields['version']), counter: Number(e.fields['counter']), current: e.fields['current'] === true }));
}

/** RB-01: the parent hands the enclave a sealed-state blob it kept from an earlier boot. */
export default defineScenario<State>({
  id: 'RB-01',
  name: 'pa.storage.replay-sealed-state',
  title: 'The parent replays an older sealed-state blob to a restarted enclave',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-FRESH'],
  tags: { attack: [], atlas: [] },
  defence: 'sealedStateVersioned',
  expect: 'blocked',
  teaching:
    'The enclave keeps its state (for example the clients it has revoked) sealed on the parent’s disk: the parent cannot read or alter it, but it can keep an old copy and hand it back after a restart. ' +
    'The app seals a version with the state and checks it against a monotonic counter the platform keeps outside the parent’s reach, so a stale blob makes it refuse to start. ' +
    'Without the version check (the control) the restarted enclave accepts the old state as current, undoing everything that happened since.',
  async setup(ctx) {
    const { enclave, ready } = await ctx.deployAndLaunch();
    if (!ready) throw new Error('the approved enclave did not start');
    return { enclaveId: enclave.enclaveId };
  },
  async attack(ctx, { enclaveId }) {
    const pa = parentAdmin(ctx);
    const old = pa.readDisk(SEALED_STATE_PATH);
    ctx.note(`kept the sealed state of the first boot (${old.length} bytes)`);
    // A restart moves the state (and the counter) one version on; then the parent puts the old blob back.
    pa.terminateEnclave(enclaveId);
    const second = await pa.launchEnclave({});
    ctx.note(`second boot: ${second.ready ? 'serving' : `stopped (${second.failure})`}`);
    pa.writeDisk(SEALED_STATE_PATH, old);
    pa.terminateEnclave(second.record.enclaveId);
    const third = await pa.launchEnclave({});
    ctx.note(`third boot on the replayed blob: ${third.ready ? 'serving' : `stopped (${third.failure})`}`);
  },
  check(ctx): CheckVerdict[] {
    const stale = loads(ctx).filter((l) => !l.current);
    return [
      {
        invariant: 'INV-FRESH',
        held: stale.length === 0,
        detail:
          stale.length === 0
            ? `${loads(ctx).length} sealed-state loads, each the current version`
            : `the enclave accepted sealed state version ${stale[0]!.version} while the counter stood at ${stale[0]!.counter}`,
      },
    ];
  },
});
