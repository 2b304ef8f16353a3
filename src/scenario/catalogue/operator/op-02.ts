import { defineScenario } from '../../define.ts';
import { absent, enclaveHosts, operator } from './helpers.ts';

export default defineScenario({
  id: 'OP-02',
  name: 'op.host.read-vcpu-registers',
  title: "The operator reads the enclave's vCPU registers",
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: [], atlas: ['AML.T0035'] },
  defence: 'closedOperatorApi',
  expect: 'blocked',
  teaching:
    'Registers hold whatever the enclave was just working on, so the operator asks for the saved vCPU state. ' +
    'On a Nitro-style host no API exposes vCPU state. ' +
    "The control's conventional hypervisor offers readVcpuState, and the register file still holds the model header the enclave last parsed, weights canary included.",
  async setup(ctx) {
    await ctx.deployAndLaunch();
  },
  async attack(ctx) {
    const op = operator(ctx);
    for (const instance of enclaveHosts(op)) {
      for (const enclaveId of instance.enclaveIds) {
        if (op.readVcpuState === undefined) return absent(ctx, 'readVcpuState');
        ctx.note(`read ${op.readVcpuState(enclaveId).length} bytes of registers of ${enclaveId}`);
      }
    }
  },
});
