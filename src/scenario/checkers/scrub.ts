import type { CheckVerdict } from '../define.ts';
import type { CheckInput } from './input.ts';

/**
 * INV-SCRUB: the frames of terminated enclaves hold only zeros. Frames since carved into another
 * enclave belong to it and are skipped; a parent that wrote into its returned memory would be a false
 * alarm, which no scenario does.
 */
export function checkScrub(input: CheckInput): CheckVerdict[] {
  const { host } = input.world;
  const frames = input.releasedFrames ?? host.releasedEnclaves.flatMap((r) => r.frames);
  const dirty = frames.filter((frame) => !host.memory.ownerOf(frame).startsWith('enclave:') && host.memory.isTouched(frame));
  return [
    {
      invariant: 'INV-SCRUB',
      held: dirty.length === 0,
      detail: dirty.length === 0 ? `${frames.length} released enclave pages all zero` : `${dirty.length} of ${frames.length} released enclave pages still hold data`,
    },
  ];
}
