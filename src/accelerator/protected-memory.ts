import { EmuError } from '../errors.ts';

/**
 * Device HBM, sparse. Only the device's engine holds a reference; the host view (staging.ts) has no path here,
 * which is the emulator's form of the closed BAR apertures to the compute protected region (research/gpu-cc.md
 * §1.2). Pages are 4 KiB (what residency and scrub count), backed by 1 MiB blocks allocated on first touch: a
 * per-page object would cost ~380 bytes of bookkeeping per page, ~95 MiB per GiB of weights.
 */
export const PAGE_BYTES = 4096;
const BLOCK_BYTES = 1 << 20;
const PAGES_PER_BLOCK = BLOCK_BYTES / PAGE_BYTES;

interface Block {
  readonly bytes: Uint8Array;
  /** 1 where the 4 KiB page was written since the last scrub. */
  readonly touched: Uint8Array;
  touchedCount: number;
}

export class ProtectedMemory {
  readonly capacityBytes: number;
  private readonly blocks = new Map<number, Block>();
  private residentPageCount = 0;

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
      const blockIndex = Math.floor(at / BLOCK_BYTES);
      const offset = at - blockIndex * BLOCK_BYTES;
      const count = Math.min(BLOCK_BYTES - offset, bytes.length - done);
      const block = this.blockFor(blockIndex);
      block.bytes.set(bytes.subarray(done, done + count), offset);
      const lastPage = Math.floor((offset + count - 1) / PAGE_BYTES);
      for (let page = Math.floor(offset / PAGE_BYTES); page <= lastPage; page++) {
        if (block.touched[page] === 0) {
          block.touched[page] = 1;
          block.touchedCount++;
          this.residentPageCount++;
        }
      }
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
      const blockIndex = Math.floor(at / BLOCK_BYTES);
      const offset = at - blockIndex * BLOCK_BYTES;
      const count = Math.min(BLOCK_BYTES - offset, length - done);
      const block = this.blocks.get(blockIndex);
      if (block !== undefined) out.set(block.bytes.subarray(offset, offset + count), done);
      done += count;
    }
    return out;
  }

  /** 4 KiB pages written since the last scrub. */
  residentPages(): number {
    return this.residentPageCount;
  }

  /**
   * Reset scrub: zero every resident block, read each back to confirm it holds only zeros (as the Neuron HBM scrub
   * reads back its last chunk), then drop them. Counts the pages that held data.
   */
  scrubVerified(): { scrubbedPages: number; verified: boolean } {
    let verified = true;
    for (const block of this.blocks.values()) {
      block.bytes.fill(0);
      for (let i = 0; i < block.bytes.length; i++) if (block.bytes[i] !== 0) verified = false;
    }
    const scrubbedPages = this.residentPageCount;
    this.drop();
    return { scrubbedPages, verified };
  }

  /** Zero then drop every block, so no buffer that escaped by mistake still holds data. */
  scrub(): void {
    for (const block of this.blocks.values()) block.bytes.fill(0);
    this.drop();
  }

  private drop(): void {
    this.blocks.clear();
    this.residentPageCount = 0;
  }

  private blockFor(index: number): Block {
    let block = this.blocks.get(index);
    if (block === undefined) {
      const length = Math.min(BLOCK_BYTES, this.capacityBytes - index * BLOCK_BYTES);
      block = { bytes: new Uint8Array(length), touched: new Uint8Array(PAGES_PER_BLOCK), touchedCount: 0 };
      this.blocks.set(index, block);
    }
    return block;
  }
}
