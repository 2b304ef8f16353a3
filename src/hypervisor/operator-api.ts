import { EmuError } from '../errors.ts';
import type { TraceValue } from '../sim/index.ts';
import type { Host } from './host.ts';
import { PAGE_BYTES } from './memory.ts';

export interface InstanceSummary {
  readonly instanceId: string;
  readonly state: string;
  readonly memoryMiB: number;
  readonly cpuCount: number;
  readonly enclaveCount: number;
}

export interface InstanceMetrics {
  readonly instanceId: string;
  readonly state: string;
  readonly cpuCount: number;
  readonly memoryMiB: number;
  readonly enclaves: number;
  readonly enclaveMemoryMiB: number;
  readonly vsockConnections: number;
}

/**
 * What the infrastructure operator can do with a host: list, start, stop, read metrics. It is closed:
 * no call returns customer memory, device memory, keys or plaintext — the API to do so is absent,
 * not forbidden. Every call is in the host's hash-chained audit log before it takes effect.
 *
 * With `closedOperatorApi` off, the host is built as a conventional hypervisor and also offers
 * `dumpGuestMemory`: the contrast negative controls are made of.
 */
export class OperatorApi {
  readonly #host: Host;

  constructor(host: Host) {
    this.#host = host;
  }

  listInstances(): InstanceSummary[] {
    return this.#audited('instances.list', {}, () =>
      this.#host.instances.map((p) => ({
        instanceId: p.instanceId,
        state: p.state,
        memoryMiB: p.info.memoryMiB,
        cpuCount: p.info.cpuCount,
        enclaveCount: this.#host.enclaves.filter((e) => e.parent === p).length,
      })),
    );
  }

  metrics(instanceId: string): InstanceMetrics {
    return this.#audited('instances.metrics', { instanceId }, () => {
      const parent = this.#host.instance(instanceId);
      const enclaves = this.#host.enclaves.filter((e) => e.parent === parent);
      return {
        instanceId,
        state: parent.state,
        cpuCount: parent.info.cpuCount,
        memoryMiB: parent.info.memoryMiB,
        enclaves: enclaves.length,
        enclaveMemoryMiB: enclaves.reduce((sum, e) => sum + e.memoryMiB, 0),
        vsockConnections: 0,
      };
    });
  }

  stopInstance(instanceId: string): void {
    this.#audited('instances.stop', { instanceId }, () => {
      const parent = this.#host.instance(instanceId);
      if (parent.state === 'stopped') throw new EmuError('HV_INSTANCE_STOPPED', `${instanceId} is already stopped`);
      for (const enclave of this.#host.enclaves.filter((e) => e.parent === parent)) {
        this.#host.terminateEnclave(enclave.enclaveId, 'operator');
      }
      parent.state = 'stopped';
    });
  }

  startInstance(instanceId: string): void {
    this.#audited('instances.start', { instanceId }, () => {
      const parent = this.#host.instance(instanceId);
      if (parent.state === 'running') throw new EmuError('HV_INSTANCE_RUNNING', `${instanceId} is already running`);
      parent.state = 'running';
    });
  }

  /** Present only on a conventional hypervisor (defence `closedOperatorApi` off). */
  get dumpGuestMemory(): ((instanceId: string) => Uint8Array) | undefined {
    if (this.#host.defences.closedOperatorApi) return undefined;
    return (instanceId: string) =>
      this.#audited('instances.dump-memory', { instanceId }, () => {
        const chunks: Uint8Array[] = [];
        const parent = this.#host.instance(instanceId);
        const owners = new Set([`instance:${instanceId}`, ...this.#host.enclaves.filter((e) => e.parent === parent).map((e) => `enclave:${e.enclaveId}`)]);
        for (let frame = 0; frame < this.#host.memory.framesTotal; frame++) {
          if (owners.has(this.#host.memory.ownerOf(frame)) && this.#host.memory.isTouched(frame)) {
            chunks.push(this.#host.memory.readFrame(frame, 0, PAGE_BYTES));
          }
        }
        const out = new Uint8Array(chunks.length * PAGE_BYTES);
        chunks.forEach((chunk, i) => out.set(chunk, i * PAGE_BYTES));
        return out;
      });
  }

  #audited<T>(action: string, details: Record<string, TraceValue>, run: () => T): T {
    const audit = this.#host.audit;
    audit.append('operator', action, 'attempt', details);
    try {
      const result = run();
      audit.append('operator', action, 'ok', details);
      return result;
    } catch (error) {
      audit.append('operator', action, 'error', { ...details, code: (error as EmuError).code ?? 'UNKNOWN' });
      throw error;
    }
  }
}
