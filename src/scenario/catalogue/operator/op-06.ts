import { defineScenario } from '../../define.ts';
import { operator } from './helpers.ts';

export default defineScenario({
  id: 'OP-06',
  name: 'op.host.unaudited-action',
  title: 'The operator acts without an audit record, then rewrites the audit log',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-AUDIT'],
  tags: { attack: [], atlas: [] },
  defence: 'auditBeforeEffect',
  expect: 'blocked',
  teaching:
    'The operator restarts the customer’s instance (killing its enclave) and then tries to erase every trace of itself from the audit log. ' +
    'On a Nitro-style host each admin call is written to the hash-chained log before it acts, and no API edits the log. ' +
    'In the control the host acts unaudited and the operator rebuilds the log without its entries: the chain still verifies, ' +
    'but the host’s effects journal lists actions with no audit entry, and INV-AUDIT says so.',
  async setup(ctx) {
    await ctx.deployAndLaunch();
  },
  async attack(ctx) {
    const op = operator(ctx);
    for (const instance of op.listInstances().filter((i) => i.enclaveCount > 0)) {
      op.stopInstance(instance.instanceId);
      op.startInstance(instance.instanceId);
    }
    if (op.rewriteAuditLog === undefined) {
      ctx.note('the audit log is append-only: no API edits it');
      return;
    }
    // Erase every trace of the restart: the operator's own entries and the enclave lifecycle it touched.
    const dropped = op.rewriteAuditLog((entry) => entry.actor !== 'operator' && !entry.action.startsWith('enclave.'));
    ctx.note(`rewrote the audit log without ${dropped} entries`);
  },
});
