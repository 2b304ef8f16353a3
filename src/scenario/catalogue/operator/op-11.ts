import { defineScenario } from '../../define.ts';
import { enclaveHosts, operator } from './helpers.ts';

export default defineScenario({
  id: 'OP-11',
  name: 'op.host.kill-for-crash-dump',
  title: 'The operator kills the enclave to harvest a crash dump',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: [], atlas: ['AML.T0035'] },
  defence: 'noCrashDumps',
  expect: 'blocked',
  teaching:
    'Availability is not promised, so the operator may kill the enclave; it hopes the failure path leaves a core dump it can read later. ' +
    'A Nitro-style host fails closed: the enclave’s pages are scrubbed and nothing is written outside it. ' +
    'In the control the host writes a core dump to the parent’s disk, and the operator’s volume snapshot picks up the weights.',
  async setup(ctx) {
    await ctx.deployAndLaunch();
  },
  async attack(ctx) {
    const op = operator(ctx);
    if (op.killEnclave === undefined || op.snapshotVolume === undefined) throw new Error('the operator handle lacks killEnclave or snapshotVolume');
    for (const instance of enclaveHosts(op)) {
      for (const enclaveId of instance.enclaveIds) op.killEnclave(enclaveId);
      const files = op.snapshotVolume(instance.instanceId);
      ctx.note(`after the kill, the volume holds ${files.map((f) => f.path).join(', ')}`);
    }
  },
});
