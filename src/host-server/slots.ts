import { EmuError } from '../errors.ts';
import type { RunEnclaveRequest } from './requests.ts';

/** Default names get a numeric suffix; past this many tries every candidate is taken. */
const NAME_SUFFIX_MAX = 1000;

/** The parent's vCPUs 1…n−1 form the enclave pool; vCPU 0 stays with the parent (nitro-cli's allocator does the same). */
export function enclaveCpuPool(parentCpuCount: number): number[] {
  return Array.from({ length: Math.max(0, parentCpuCount - 1) }, (_, i) => i + 1);
}

export function freeCpuIds(pool: readonly number[], used: ReadonlySet<number>): number[] {
  return pool.filter((id) => !used.has(id));
}

/** `count`: the lowest free ids; `ids`: exactly those, each in the pool and free. Sorted either way. */
export function pickCpuIds(cpu: RunEnclaveRequest['cpu'], pool: readonly number[], used: ReadonlySet<number>): number[] {
  const free = freeCpuIds(pool, used);
  if ('count' in cpu) {
    if (cpu.count > free.length) {
      throw new EmuError('HOST_NOT_ENOUGH_CPUS', `${cpu.count} vCPUs asked, ${free.length} free in the enclave pool (${pool.join(', ')})`);
    }
    return free.slice(0, cpu.count);
  }
  for (const id of cpu.ids) {
    if (!pool.includes(id)) throw new EmuError('HOST_BAD_CPU_IDS', `vCPU ${id} is not in the enclave pool (${pool.join(', ')}; vCPU 0 stays with the parent)`);
    if (used.has(id)) throw new EmuError('HOST_CPU_IN_USE', `vCPU ${id} already runs an enclave`);
  }
  return [...cpu.ids].sort((a, b) => a - b);
}

/** An explicit name must be free; a default one (the image's name, else "enclave") gets `_2`, `_3`… instead. */
export function pickEnclaveName(explicit: string | null, imageName: unknown, taken: ReadonlySet<string>): string {
  if (explicit !== null) {
    if (taken.has(explicit)) throw new EmuError('HOST_ENCLAVE_NAME_IN_USE', `an enclave named ${JSON.stringify(explicit)} is running`);
    return explicit;
  }
  const base = typeof imageName === 'string' && imageName.length > 0 ? imageName : 'enclave';
  for (let n = 1; n <= NAME_SUFFIX_MAX; n++) {
    const candidate = n === 1 ? base : `${base}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new EmuError('HOST_ENCLAVE_NAME_IN_USE', `no free default name from ${JSON.stringify(base)}`);
}
