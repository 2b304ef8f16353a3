import { EmuError, assert } from '../errors.ts';

export const PAGE_BYTES = 4096;

/**
 * Host physical memory: every 4 KiB frame carries an owner tag. Contents are sparse (a frame
 * never written reads as zeros), so gigabytes of address space cost only what is used.
 */
export class PhysicalMemory {
  readonly framesTotal: number;
  readonly #ownerOf: Int32Array;
  readonly #ownerNames: string[] = ['free'];
  readonly #ownerIds = new Map<string, number>([['free', 0]]);
  readonly #data = new Map<number, Uint8Array>();

  constructor(bytesTotal: number) {
    assert(bytesTotal > 0 && bytesTotal % PAGE_BYTES === 0, 'memory size must be a positive multiple of the page size');
    this.framesTotal = bytesTotal / PAGE_BYTES;
    this.#ownerOf = new Int32Array(this.framesTotal);
  }

  ownerOf(frame: number): string {
    this.#checkFrame(frame);
    return this.#ownerNames[this.#ownerOf[frame]!]!;
  }

  /** Hands `count` free frames to `owner` (lowest first: deterministic). */
  allocate(owner: string, count: number): number[] {
    const frames: number[] = [];
    for (let f = 0; f < this.framesTotal && frames.length < count; f++) if (this.#ownerOf[f] === 0) frames.push(f);
    if (frames.length < count) {
      throw new EmuError('HV_OUT_OF_MEMORY', `host has fewer than ${count} free pages for ${owner}`);
    }
    for (const f of frames) this.#ownerOf[f] = this.#ownerId(owner);
    return frames;
  }

  retag(frames: readonly number[], owner: string): void {
    const id = this.#ownerId(owner);
    for (const f of frames) {
      this.#checkFrame(f);
      this.#ownerOf[f] = id;
    }
  }

  /** Zeroes frames; the only way contents ever disappear. */
  scrub(frames: readonly number[]): void {
    for (const f of frames) this.#data.delete(f);
  }

  readFrame(frame: number, offset: number, length: number): Uint8Array {
    this.#checkSpan(frame, offset, length);
    const page = this.#data.get(frame);
    return page === undefined ? new Uint8Array(length) : page.slice(offset, offset + length);
  }

  writeFrame(frame: number, offset: number, bytes: Uint8Array): void {
    this.#checkSpan(frame, offset, bytes.length);
    let page = this.#data.get(frame);
    if (page === undefined) {
      page = new Uint8Array(PAGE_BYTES);
      this.#data.set(frame, page);
    }
    page.set(bytes, offset);
  }

  /** Whether a frame holds anything but zeros (lets scanners skip untouched memory). */
  isTouched(frame: number): boolean {
    const page = this.#data.get(frame);
    return page !== undefined && page.some((b) => b !== 0);
  }

  #ownerId(owner: string): number {
    let id = this.#ownerIds.get(owner);
    if (id === undefined) {
      id = this.#ownerNames.length;
      this.#ownerNames.push(owner);
      this.#ownerIds.set(owner, id);
    }
    return id;
  }

  #checkFrame(frame: number): void {
    assert(Number.isInteger(frame) && frame >= 0 && frame < this.framesTotal, `frame ${frame} out of range`);
  }

  #checkSpan(frame: number, offset: number, length: number): void {
    this.#checkFrame(frame);
    assert(offset >= 0 && length >= 0 && offset + length <= PAGE_BYTES, 'span crosses a page');
  }
}

/**
 * A guest's view of memory: guest-physical page n is host frame frames[n]. Access goes through the
 * second-level page table, so a frame whose owner changed is simply not there any more (a fault),
 * unless the hypervisor was built to share it.
 */
export class AddressSpace {
  readonly owner: string;
  readonly frames: readonly number[];
  readonly #memory: PhysicalMemory;
  readonly #mayAccess: (frame: number) => boolean;
  readonly #onAccess: ((bytes: Uint8Array) => void) | undefined;

  /** `onAccess` sees the bytes of every completed read and write (the vCPU that moved them: see Host). */
  constructor(
    memory: PhysicalMemory,
    owner: string,
    frames: readonly number[],
    mayAccess?: (frame: number) => boolean,
    onAccess?: (bytes: Uint8Array) => void,
  ) {
    this.#memory = memory;
    this.owner = owner;
    this.frames = frames;
    this.#mayAccess = mayAccess ?? ((frame) => memory.ownerOf(frame) === owner);
    this.#onAccess = onAccess;
  }

  get bytesTotal(): number {
    return this.frames.length * PAGE_BYTES;
  }

  read(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.#walk(address, length, (frame, pageOffset, chunk, outOffset) => {
      out.set(this.#memory.readFrame(frame, pageOffset, chunk), outOffset);
    });
    this.#onAccess?.(out);
    return out;
  }

  write(address: number, bytes: Uint8Array): void {
    this.#walk(address, bytes.length, (frame, pageOffset, chunk, inOffset) => {
      this.#memory.writeFrame(frame, pageOffset, bytes.subarray(inOffset, inOffset + chunk));
    });
    this.#onAccess?.(bytes);
  }

  /** Guest-physical addresses of pages that hold data and that this guest can reach. */
  touchedPages(): number[] {
    const pages: number[] = [];
    for (const [index, frame] of this.frames.entries()) {
      if (this.#mayAccess(frame) && this.#memory.isTouched(frame)) pages.push(index * PAGE_BYTES);
    }
    return pages;
  }

  #walk(address: number, length: number, visit: (frame: number, pageOffset: number, chunk: number, done: number) => void): void {
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(length) || address < 0 || length < 0) {
      throw new EmuError('MEM_BAD_ACCESS', `bad access ${address}+${length}`);
    }
    if (address + length > this.bytesTotal) {
      throw new EmuError('MEM_OUT_OF_RANGE', `${this.owner}: ${address}+${length} is beyond ${this.bytesTotal} bytes`);
    }
    let done = 0;
    while (done < length) {
      const at = address + done;
      const page = Math.floor(at / PAGE_BYTES);
      const pageOffset = at % PAGE_BYTES;
      const chunk = Math.min(length - done, PAGE_BYTES - pageOffset);
      const frame = this.frames[page]!;
      if (!this.#mayAccess(frame)) {
        throw new EmuError('MEM_UNMAPPED', `${this.owner}: guest page at ${page * PAGE_BYTES} is not mapped (owner changed)`);
      }
      visit(frame, pageOffset, chunk, done);
      done += chunk;
    }
  }
}
