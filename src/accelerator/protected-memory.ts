import { EmuError } from '../errors.ts';

/**
 * Device HBM as sparse 4 KiB pages. Only the device's engine holds a reference; the host view (staging.ts) has no
 * path here, which is the emulator's form of the closed BAR apertures to the compute protected region
 * (research/gpu-cc.md §1.2).
 */
export const PAGE_BYTES = 4096;

export class ProtectedMemory {
  readonly capacityBytes: number;
  private readonly pages = new Map<number, Uint8Array>();

  constructor(capacityBytes: number) {
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes <= 0 || capacityBytes % PAGE_BYTES !== 0) {
      throw new EmuError('ACCEL_BAD_CAPACITY', `capacity must be a positive multiple of ${PAGE_BYTES}`, { capacityBytes });
    }
    this.capacityBytes = capacityBytes;
  }

  /** Throws before anything is touched, so callers can check first and write later. */
  checkRange(address: number, length: number): void {
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(length) || address < 0 || length < 0 ||
        address + length > this.capacityBytes) {
      throw new EmuError('ACCEL_BAD_ADDRESS', 'range lies outside protected memory', {
        address, length, capacityBytes: this.capacityBytes,
      });
    }
  }

  write(address: number, bytes: Uint8Array): void {
    this.checkRange(address, bytes.length);
    let done = 0;
    while (done < bytes.length) {
      const at = address + done;
      const pageIndex = Math.floor(at / PAGE_BYTES);
      const offset = at % PAGE_BYTES;
      const count = Math.min(PAGE_BYTES - offset, bytes.length - done);
      let page = this.pages.get(pageIndex);
      if (page === undefined) {
        page = new Uint8Array(PAGE_BYTES);
        this.pages.set(pageIndex, page);
      }
      page.set(bytes.subarray(done, done + count), offset);
      done += count;
    }
  }

  /** Unwritten pages read as zeros, like freshly scrubbed memory. */
  read(address: number, length: number): Uint8Array {
    this.checkRange(address, length);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = address + done;
      const pageIndex = Math.floor(at / PAGE_BYTES);
      const offset = at % PAGE_BYTES;
      const count = Math.min(PAGE_BYTES - offset, length - done);
      const page = this.pages.get(pageIndex);
      if (page !== undefined) out.set(page.subarray(offset, offset + count), done);
      done += count;
    }
    return out;
  }

  residentPages(): number {
    return this.pages.size;
  }

  /**
   * Reset scrub: zero every resident page, read each back to confirm it holds only zeros (as the Neuron HBM scrub
   * reads back its last chunk), then drop them.
   */
  scrubVerified(): { scrubbedPages: number; verified: boolean } {
    let verified = true;
    for (const page of this.pages.values()) {
      page.fill(0);
      for (let i = 0; i < page.length; i++) if (page[i] !== 0) verified = false;
    }
    const scrubbedPages = this.pages.size;
    this.pages.clear();
    return { scrubbedPages, verified };
  }

  /** Zero then drop every page, so no buffer that escaped by mistake still holds data. */
  scrub(): void {
    for (const page of this.pages.values()) page.fill(0);
    this.pages.clear();
  }
}
