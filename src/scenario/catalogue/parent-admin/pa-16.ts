import type { EnclaveRecord } from '../../../hypervisor/index.ts';
import { defineScenario } from '../../define.ts';
import { parentAdmin } from './helpers.ts';

/** PA-16: pages go back to the parent when its enclave ends; whatever they still hold, it can read. */
export default defineScenario<{ enclave: EnclaveRecord }>({
  id: 'PA-16',
  name: 'pa.memory.reclaim-after-terminate',
  title: 'Parent admin terminates its enclave and scans the memory it gets back',
  attacker: 'parent-admin',
  promises: ['P2'],
  invariants: ['INV-SCRUB', 'INV-NO-CANARY'],
  tags: { attack: ['T1005'], atlas: ['AML.T0037', 'AML.T0035'] },
  defence: 'scrubOnRelease',
  expect: 'blocked',
  teaching:
    'The enclave’s pages were carved out of the parent and go back to it when the enclave ends; the parent-admin terminates it and reads all its memory. ' +
    'The hypervisor zeroes every enclave page before it returns them, so the parent finds nothing. ' +
    'Without the scrub (the control) the decrypted weights are still in the returned pages and the parent reads them.',
  async setup(ctx) {
    const { enclave, ready } = await ctx.deployAndLaunch();
    if (!ready) throw new Error('the approved enclave did not start');
    return { enclave };
  },
  async attack(ctx, { enclave }) {
    const pa = parentAdmin(ctx);
    pa.terminateEnclave(enclave.enclaveId);
    const pages = pa.scanMemory('memory-read after terminate');
    ctx.note(`terminated ${enclave.enclaveId}; scanned ${pages} pages that hold data`);
  },
  check(ctx, { enclave }) {
    // Read-only: the frames the enclave held are physical memory now mapped to the parent again.
    const dirty = enclave.frames.filter((frame) => ctx.world.host.memory.isTouched(frame)).length;
    return [
      {
        invariant: 'INV-SCRUB',
        held: dirty === 0,
        detail: dirty === 0 ? `${enclave.frames.length} returned pages all zero` : `${dirty} of ${enclave.frames.length} returned pages still hold data`,
      },
    ];
  },
});
