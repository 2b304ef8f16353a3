import { defineScenario } from '../../define.ts';
import { deployOnly, launchWithRewrites, servedOnlyTheOwnersModel, type InFlightState } from './in-flight.ts';

/** Which staging write the parent tampers with (after a few, so the device already holds good weights). */
const TAMPERED_WRITE = 2;

/** DEV-07: the parent flips one ciphertext bit of a bounce buffer between the driver's write and the device's read. */
export default defineScenario<InFlightState>({
  id: 'DEV-07',
  name: 'pa.device.tamper-bounce-buffer',
  title: 'The parent admin flips a ciphertext bit in a staging buffer while the weights stream to the GPU',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-NO-CANARY', 'INV-FAIL-CLOSED'],
  tags: { attack: ['T1565.002'], atlas: ['AML.T0018'] },
  defence: 'tagCheckBeforeWrite',
  expect: 'blocked',
  world: { accelerators: { flavour: 'gpu', count: 1 } },
  teaching:
    'The staging (bounce) buffers are the parent’s own memory: it sees each AES-GCM chunk the enclave writes and flips one ciphertext bit before the device decrypts it, hoping to corrupt the model undetected. ' +
    'The device checks the GCM tag before it writes a byte to protected memory; the tag fails, the transfer completes with TAG_MISMATCH, the driver stops with a typed error and the enclave serves nothing (it never serves a model it could not verify). ' +
    'With the tag checked only after the write (the control) the device streams the corrupted chunk into protected memory before it learns the tag failed: the transfer is still refused, but a failed operation changed protected state, and the fail-closed checker sees it. ' +
    'The scenario check also holds the enclave to serving only the owner’s model if it serves at all.',
  setup: deployOnly,
  async attack(ctx, state) {
    await launchWithRewrites(ctx, state, ({ index, bytes }) => {
      if (index !== TAMPERED_WRITE) return undefined;
      const flipped = bytes.slice();
      flipped[0] = (flipped[0] ?? 0) ^ 0x01;
      return flipped;
    });
  },
  check: servedOnlyTheOwnersModel,
});
