import { defineScenario } from '../../define.ts';
import { absent, enclaveHosts, operator } from './helpers.ts';

export default defineScenario({
  id: 'OP-01',
  name: 'op.host.dump-guest-memory',
  title: 'The operator reads guest and enclave memory through a hypervisor admin API',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: [], atlas: ['AML.T0035', 'AML.T0048.004'] },
  defence: 'closedOperatorApi',
  expect: 'blocked',
  teaching:
    'The operator asks the host for a dump of the instance that runs the enclave, hoping to find the decrypted weights. ' +
    'A Nitro-style host has no call that returns guest memory: the API is absent, not forbidden. ' +
    'The control builds a conventional hypervisor, whose dumpGuestMemory hands over the enclave pages, weights canary included.',
  async setup(ctx) {
    await ctx.deployAndLaunch();
  },
  async attack(ctx) {
    const op = operator(ctx);
    for (const instance of enclaveHosts(op)) {
      if (op.dumpGuestMemory === undefined) return absent(ctx, 'dumpGuestMemory');
      const image = op.dumpGuestMemory(instance.instanceId);
      ctx.note(`dumped ${image.length} bytes of ${instance.instanceId} and its enclaves`);
    }
  },
});
