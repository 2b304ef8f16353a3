import { EmuError } from '../errors.ts';

/**
 * Host-visible bounce buffers. Both the parent and the enclave driver can read and write them; in confidential
 * mode they only ever hold ciphertext ‖ tag. This is the whole host view of the device: it has no read of protected
 * memory.
 */
/** Who wrote a slot and whether the bytes were sealed, when the writer says (message traces draw it). */
export interface StagingOrigin {
  readonly writer: 'driver' | 'device';
  readonly sealed: boolean;
}

export type StagingWatcher = (slot: number, bytes: Uint8Array, origin: StagingOrigin | undefined) => void;

export class StagingBuffers {
  readonly slotsMax: number;
  readonly slotBytesMax: number;
  private readonly slots = new Map<number, Uint8Array>();
  private readonly watchers: StagingWatcher[] = [];

  constructor(slotsMax: number, slotBytesMax: number) {
    this.slotsMax = slotsMax;
    this.slotBytesMax = slotBytesMax;
  }

  write(slot: number, bytes: Uint8Array, origin?: StagingOrigin): void {
    this.checkSlot(slot);
    if (bytes.length > this.slotBytesMax) {
      throw new EmuError('ACCEL_TRANSFER_TOO_LARGE', 'buffer exceeds the staging slot', {
        bytes: bytes.length, slotBytesMax: this.slotBytesMax,
      });
    }
    const stored = bytes.slice();
    this.slots.set(slot, stored);
    for (const watcher of this.watchers) watcher(slot, stored.slice(), origin);
  }

  /**
   * These slots are host memory: whoever owns that memory can snapshot it at any instant. A watcher sees every
   * write as it lands (the host wires the parent's ledger here), whoever wrote it: driver, device or parent.
   */
  watch(watcher: StagingWatcher): void {
    if (this.watchers.length >= 8) throw new EmuError('ACCEL_TOO_MANY_WATCHERS', 'at most 8 watchers per set of slots');
    this.watchers.push(watcher);
  }

  read(slot: number): Uint8Array {
    this.checkSlot(slot);
    const bytes = this.slots.get(slot);
    if (bytes === undefined) throw new EmuError('ACCEL_EMPTY_SLOT', 'staging slot holds nothing', { slot });
    return bytes.slice();
  }

  clear(): void {
    this.slots.clear();
  }

  /** Throws before anything is touched, so a sender can check the slot before it spends a counter. */
  checkSlot(slot: number): void {
    if (!Number.isSafeInteger(slot) || slot < 0 || slot >= this.slotsMax) {
      throw new EmuError('ACCEL_BAD_SLOT', 'no such staging slot', { slot, slotsMax: this.slotsMax });
    }
  }
}
