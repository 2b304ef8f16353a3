import { pcrExtend, utf8, zeroPcr } from '../crypto/index.ts';
import type { LoadedEnclaveImage } from '../enclave/index.ts';
import type { Simulator } from '../sim/index.ts';
import type { EnclaveRecord } from './host.ts';
import { PAGE_BYTES, type PhysicalMemory } from './memory.ts';
import type { ParentInstance } from './parent.ts';

const PCRS_LOCKED_AT_BOOT = 16;

/** PCRs 0..15 as the Nitro card measures them (research/nitro-attestation-kms.md §1.5). */
export function measurePcrs(image: LoadedEnclaveImage, parent: ParentInstance, debugMode: boolean): Map<number, Uint8Array> {
  const values = new Map<number, Uint8Array>();
  for (let i = 0; i < PCRS_LOCKED_AT_BOOT; i++) values.set(i, zeroPcr());
  if (!debugMode) {
    values.set(0, image.measurements.pcr0);
    values.set(1, image.measurements.pcr1);
    values.set(2, image.measurements.pcr2);
    if (image.measurements.pcr8 !== null) values.set(8, image.measurements.pcr8);
  }
  if (parent.info.roleArn !== null) values.set(3, pcrExtend(zeroPcr(), utf8(parent.info.roleArn)));
  values.set(4, pcrExtend(zeroPcr(), utf8(parent.instanceId)));
  return values;
}

/**
 * What a conventional host leaves behind when it kills a guest (`noCrashDumps` off): the enclave's
 * touched pages, written to the parent's disk before they are scrubbed.
 */
export function writeCoreDump(sim: Simulator, memory: PhysicalMemory, record: EnclaveRecord): void {
  const pages = record.frames.filter((f) => memory.isTouched(f));
  const core = new Uint8Array(pages.length * PAGE_BYTES);
  pages.forEach((frame, i) => core.set(memory.readFrame(frame, 0, PAGE_BYTES), i * PAGE_BYTES));
  try {
    record.parent.disk.write(`crash/${record.enclaveId}.core`, core);
  } catch {
    // A full disk loses the dump; the kill goes on.
  }
  sim.record('host.core-dump', { enclaveId: record.enclaveId, bytes: core.length });
}
