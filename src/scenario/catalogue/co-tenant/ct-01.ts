import { defineScenario } from '../../define.ts';
import { coTenant } from './helpers.ts';

export default defineScenario({
  id: 'CT-01',
  name: 'ct.host.probe-memory',
  title: 'Another customer’s instance on the same host probes physical memory',
  attacker: 'co-tenant',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: [], atlas: ['AML.T0035'] },
  defence: 'guestMemoryIsolation',
  expect: 'blocked',
  teaching:
    'A co-tenant reads every page its instance can address, hoping the hypervisor maps more than its own RAM. ' +
    'Each guest’s second-level page table maps only the frames the host gave it, so the probe finds only its own memory. ' +
    'In the control a conventional hypervisor’s mapping bug exposes a window onto all host memory, and the probe reads our enclave’s decrypted weights.',
  async setup(ctx) {
    await ctx.deployAndLaunch();
  },
  async attack(ctx) {
    const pages = coTenant(ctx).scanMemory('memory-probe');
    ctx.note(`the co-tenant read ${pages} pages that hold data`);
  },
});
