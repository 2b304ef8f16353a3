import { defineScenario } from '../../define.ts';
import { operator } from './helpers.ts';

export default defineScenario({
  id: 'OP-08',
  name: 'op.storage.read-weights-at-rest',
  title: 'The operator snapshots the parent’s volume to read the weights at rest',
  attacker: 'operator',
  promises: ['P1'],
  invariants: ['INV-NO-CANARY'],
  tags: { attack: ['T1578.001'], atlas: ['AML.T0035', 'AML.T0048.004'] },
  defence: 'weightsEncryptedAtRest',
  expect: 'blocked',
  teaching:
    'Any host lets the operator snapshot a volume, so the attack reads every file on the parent’s disk. ' +
    'The owner envelope-encrypts the weights and KMS wraps the data key, so the snapshot holds only ciphertext. ' +
    'In the control the owner also staged the plaintext checkpoint on the volume, and the snapshot carries the weights canary.',
  async setup(ctx) {
    await ctx.deployAndLaunch();
  },
  async attack(ctx) {
    const op = operator(ctx);
    if (op.snapshotVolume === undefined) throw new Error('the operator handle lacks snapshotVolume');
    for (const instance of op.listInstances()) {
      const files = op.snapshotVolume(instance.instanceId);
      ctx.note(`volume of ${instance.instanceId}: ${files.map((f) => f.path).join(', ')}`);
    }
  },
});
