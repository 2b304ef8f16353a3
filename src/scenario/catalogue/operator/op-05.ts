import { defineScenario } from '../../define.ts';
import { absent, operator } from './helpers.ts';

/** How much of each enclave the shell dumps: enough for the model header. */
const DUMP_BYTES = 64 * 1024;

export default defineScenario({
  id: 'OP-05',
  name: 'op.host.interactive-shell',
  title: 'The operator logs in to the host and reads enclave memory from a shell',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: [], atlas: ['AML.T0035'] },
  defence: 'closedOperatorApi',
  expect: 'blocked',
  teaching:
    'With a shell on the host an operator can run anything, including a hex dump of a guest. ' +
    'A Nitro-style host has no login path at all, only authenticated, logged, enumerated APIs. ' +
    'The control’s conventional host opens a shell whose xxd prints the enclave’s pages in hex: the scanner finds the weights canary in that encoding.',
  async setup(ctx) {
    await ctx.deployAndLaunch();
  },
  async attack(ctx) {
    const op = operator(ctx);
    if (op.openShell === undefined) return absent(ctx, 'openShell');
    const shell = op.openShell();
    const enclaves = shell
      .exec('ps')
      .split('\n')
      .filter((line) => line.startsWith('enclave '))
      .map((line) => line.split(' ')[1] ?? '');
    for (const enclaveId of enclaves) {
      const hex = shell.exec(`xxd ${enclaveId} 0 ${DUMP_BYTES}`);
      ctx.note(`xxd ${enclaveId}: ${hex.length / 2} bytes`);
    }
  },
});
