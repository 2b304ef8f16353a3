import { EmuError } from '../errors.ts';
import type { VsockBus } from '../ports/index.ts';
import type { AddressSpace } from './memory.ts';

/** The parent instance's disk: a flat namespace of files owned by the customer's admin. */
export class ParentDisk {
  readonly #files = new Map<string, Uint8Array>();
  readonly bytesMax: number;
  #bytesUsed = 0;

  constructor(bytesMax: number) {
    this.bytesMax = bytesMax;
  }

  write(path: string, data: Uint8Array): void {
    const previous = this.#files.get(path)?.length ?? 0;
    if (this.#bytesUsed - previous + data.length > this.bytesMax) {
      throw new EmuError('DISK_FULL', `writing ${path} would exceed the disk's ${this.bytesMax} bytes`);
    }
    this.#files.set(path, data.slice());
    this.#bytesUsed += data.length - previous;
  }

  read(path: string): Uint8Array {
    const data = this.#files.get(path);
    if (data === undefined) throw new EmuError('DISK_NO_SUCH_FILE', `no file ${path} on the parent's disk`);
    return data.slice();
  }

  list(): string[] {
    return [...this.#files.keys()].sort();
  }
}

export type InstanceState = 'running' | 'stopped';

export interface ParentInstanceInfo {
  readonly instanceId: string;
  readonly roleArn: string | null;
  readonly memoryMiB: number;
  readonly cpuCount: number;
  /** The principal that administers this instance (`parent-admin`, or `co-tenant` for another customer's). */
  readonly principal: string;
}

/** A customer's EC2-style instance on the host: its memory, its disk, its vCPUs. */
export class ParentInstance {
  readonly info: ParentInstanceInfo;
  readonly memory: AddressSpace;
  readonly disk: ParentDisk;
  /** The vsock domain of this instance and its enclaves. */
  readonly vsock: VsockBus;
  state: InstanceState = 'running';
  freeCpus: number;

  constructor(info: ParentInstanceInfo, memory: AddressSpace, disk: ParentDisk, vsock: VsockBus) {
    this.info = info;
    this.vsock = vsock;
    this.memory = memory;
    this.disk = disk;
    this.freeCpus = info.cpuCount;
  }

  get instanceId(): string {
    return this.info.instanceId;
  }
}
