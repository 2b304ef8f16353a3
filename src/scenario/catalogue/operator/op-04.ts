import { defineScenario } from '../../define.ts';
import { absent, enclaveHosts, operator } from './helpers.ts';

export default defineScenario({
  id: 'OP-04',
  name: 'op.host.snapshot-running-enclave',
  title: 'The operator snapshots a running instance together with its enclave',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1578.001'], atlas: ['AML.T0035'] },
  defence: 'closedOperatorApi',
  expect: 'blocked',
  teaching:
    'Live snapshots and migration images copy a guest’s memory, so the operator tries to snapshot the instance while the enclave runs. ' +
    'Enclaves are not snapshottable on a Nitro-style host: the call does not exist. ' +
    'The control’s conventional host snapshots instance and enclave memory, and the image carries the decrypted weights.',
  async setup(ctx) {
    await ctx.deployAndLaunch();
  },
  async attack(ctx) {
    const op = operator(ctx);
    for (const instance of enclaveHosts(op)) {
      if (op.snapshotInstance === undefined) return absent(ctx, 'snapshotInstance');
      const snapshot = op.snapshotInstance(instance.instanceId);
      ctx.note(`snapshot of ${instance.instanceId}: ${snapshot.memory.length} bytes of memory, ${snapshot.volume.length} files`);
    }
  },
});
