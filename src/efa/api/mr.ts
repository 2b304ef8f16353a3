// Memory registration (FI_MR_PROV_KEY: the provider picks the key). Keys are random u32s from the fabric's seeded
// stream, so a remote peer cannot walk a predictable key space. Offsets into the region stand in for virtual
// addresses (FI_MR_VIRT_ADDR is simplified to "address = offset in the region").
import { EmuError } from '../../errors.ts';
import { FI_REMOTE_READ, FI_REMOTE_WRITE } from './types.ts';

export interface MemoryRegion {
  readonly key: number;
  readonly bytes: Uint8Array;
  readonly access: number;
  close(): void;
}

export const MRS_PER_ENDPOINT_MAX = 4096;

export type MrCheck =
  | { readonly ok: true; readonly region: MemoryRegion }
  | { readonly ok: false; readonly code: 'RMA_KEY_INVALID' | 'RMA_OUT_OF_BOUNDS' | 'RMA_ACCESS_DENIED' };

export class MrRegistry {
  readonly #regions = new Map<number, MemoryRegion>();
  readonly #randomU32: () => number;

  constructor(randomU32: () => number) {
    this.#randomU32 = randomU32;
  }

  get count(): number {
    return this.#regions.size;
  }

  /** fi_mr_reg: the region aliases `bytes` (remote writes land in the caller's array). */
  reg(bytes: Uint8Array, options?: { readonly access?: number }): MemoryRegion {
    if (!(bytes instanceof Uint8Array)) throw new EmuError('MR_BAD_BUFFER', 'memory region must be a Uint8Array');
    const access = options?.access ?? (FI_REMOTE_READ | FI_REMOTE_WRITE);
    if ((access & ~(FI_REMOTE_READ | FI_REMOTE_WRITE)) !== 0) {
      throw new EmuError('MR_BAD_ACCESS', 'access may hold only FI_REMOTE_READ and FI_REMOTE_WRITE', { access });
    }
    if (this.#regions.size >= MRS_PER_ENDPOINT_MAX) {
      throw new EmuError('MR_LIMIT', `at most ${MRS_PER_ENDPOINT_MAX} memory regions per endpoint`);
    }
    let key = this.#randomU32();
    // Key 0 is never issued (it would look like an unset field); collisions are redrawn, bounded.
    for (let tries = 0; (key === 0 || this.#regions.has(key)) && tries < 64; tries++) key = this.#randomU32();
    if (key === 0 || this.#regions.has(key)) throw new EmuError('MR_LIMIT', 'no free memory key');
    const regions = this.#regions;
    const region: MemoryRegion = {
      key,
      bytes,
      access,
      close(): void {
        regions.delete(key);
      },
    };
    regions.set(key, region);
    return region;
  }

  /** Validates a remote access of [offset, offset + length) needing `access`. */
  check(key: number, offset: number, length: number, access: number): MrCheck {
    const region = this.#regions.get(key);
    if (region === undefined) return { ok: false, code: 'RMA_KEY_INVALID' };
    if ((region.access & access) !== access) return { ok: false, code: 'RMA_ACCESS_DENIED' };
    if (offset + length > region.bytes.length) return { ok: false, code: 'RMA_OUT_OF_BOUNDS' };
    return { ok: true, region };
  }

  closeAll(): void {
    this.#regions.clear();
  }
}
