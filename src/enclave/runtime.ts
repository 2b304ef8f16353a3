import { EmuError } from '../errors.ts';
import {
  FramedConnection,
  HEARTBEAT_BYTE,
  HEARTBEAT_PORT,
  VMADDR_CID_PARENT,
  type PipeEnd,
  type VsockBus,
} from '../ports/index.ts';
import type { EnclaveDevicePort } from '../accelerator/index.ts';
import { parseAttestationDocument } from '../crypto/index.ts';
import type { Simulator } from '../sim/index.ts';
import { NsmClient, type NsmDevice } from './nsm.ts';
import { runEnclaveApp } from './realm.ts';
import { ENCLAVE_WAIT_NS_MAX, type AbiConnection, type EnclaveAbi } from './runtime-abi.ts';
import type { MonotonicCounter } from './runtime-counter.ts';
import { createEnclaveAccelerators } from './runtime-accel.ts';
import { createEnclaveLibrary, nsmTimeFrom } from './runtime-library.ts';

/** The enclave's memory as the hypervisor maps it: its own pages only. */
export interface EnclaveMemory {
  readonly bytesTotal: number;
  read(address: number, length: number): Uint8Array;
  write(address: number, bytes: Uint8Array): void;
}

export interface EnclaveBootOptions {
  readonly sim: Simulator;
  readonly enclaveId: string;
  readonly cid: number;
  /** Files of the measured application ramdisk and its entry (the `cmd` of the image). */
  readonly appFiles: ReadonlyMap<string, Uint8Array>;
  readonly entry: string;
  readonly nsm: NsmDevice;
  readonly vsock: VsockBus;
  readonly memory: EnclaveMemory;
  /** The console; the hypervisor connects it to the parent only in debug mode. */
  readonly console: (line: string) => void;
  /** The platform's monotonic counter for this image (an assumed service, runtime-counter.ts); absent: none. */
  readonly counter?: MonotonicCounter;
  /** The accelerators the hypervisor assigned to this enclave (asked when the app attaches them); absent: none. */
  readonly devices?: () => readonly EnclaveDevicePort[];
}

/** How long boot waits for the parent's heartbeat echo (virtual time). */
export const HEARTBEAT_TIMEOUT_NS = 1_000_000_000;

export type EnclaveRunState = 'booting' | 'running' | 'failed' | 'terminated';

/**
 * Boots an enclave the way its init would: the vsock heartbeat to the parent, then the application
 * from the measured ramdisk in its own realm, with the enclave ABI as its only handles.
 */
export class EnclaveRuntime {
  readonly enclaveId: string;
  #state: EnclaveRunState = 'booting';
  #failure: EmuError | undefined;
  #heapTop = 0;
  readonly #options: EnclaveBootOptions;
  readonly #connections: PipeEnd[] = [];

  constructor(options: EnclaveBootOptions) {
    this.#options = options;
    this.enclaveId = options.enclaveId;
  }

  get state(): EnclaveRunState {
    return this.#state;
  }

  get failure(): EmuError | undefined {
    return this.#failure;
  }

  async boot(): Promise<void> {
    const { sim, vsock, cid, enclaveId } = this.#options;
    const heartbeat = await vsock.connect(cid, { cid: VMADDR_CID_PARENT, port: HEARTBEAT_PORT });
    heartbeat.send(Uint8Array.of(HEARTBEAT_BYTE));
    // Bounded: a lost heartbeat fails the boot (as nitro-cli gives up) instead of hanging it.
    const echo = await sim
      .withTimeout(heartbeat.read(), HEARTBEAT_TIMEOUT_NS, () => new EmuError('ENCLAVE_HEARTBEAT_FAILED', `${enclaveId}: no heartbeat echo`))
      .catch(() => null);
    heartbeat.close();
    if (echo === null || echo.length !== 1 || echo[0] !== HEARTBEAT_BYTE) {
      this.#state = 'failed';
      throw new EmuError('ENCLAVE_HEARTBEAT_FAILED', `${enclaveId}: the parent did not echo the boot heartbeat`);
    }
    sim.record('enclave.heartbeat', { enclaveId });
    const source = this.#options.appFiles.get(this.#options.entry);
    if (source === undefined) {
      this.#state = 'failed';
      throw new EmuError('ENCLAVE_NO_ENTRY', `${enclaveId}: the image has no ${this.#options.entry}`);
    }
    this.#state = 'running';
    try {
      await runEnclaveApp({
        source: new TextDecoder().decode(source),
        filename: `enclave:${this.#options.entry}`,
        handles: { enclave: this.#abi() },
      });
    } catch (error) {
      this.#state = 'failed';
      this.#failure =
        error instanceof EmuError ? error : new EmuError('ENCLAVE_APP_FAILED', String((error as Error)?.message ?? error));
      sim.record('enclave.failed', { enclaveId, code: this.#failure.code, message: this.#failure.message });
      throw this.#failure;
    }
  }

  /** Stops the application: its connections close; memory is scrubbed by the hypervisor. */
  terminate(): void {
    this.#state = 'terminated';
    for (const end of this.#connections.splice(0)) end.close();
  }

  #counter(): MonotonicCounter {
    const counter = this.#options.counter;
    if (counter === undefined) throw new EmuError('PLATFORM_COUNTER_UNAVAILABLE', 'this platform offers no monotonic counter');
    return counter;
  }

  #abi(): EnclaveAbi {
    const { sim, vsock, cid, nsm, memory, enclaveId } = this.#options;
    const client = new NsmClient((request) => nsm.request(request));
    const track = (end: PipeEnd): AbiConnection => {
      this.#connections.push(end);
      const framed = new FramedConnection(end);
      return Object.freeze({
        send: (message: Uint8Array) => framed.send(message),
        receive: () => framed.receive(),
        close: () => framed.close(),
      });
    };
    const alive = () => {
      if (this.#state === 'terminated') throw new EmuError('ENCLAVE_TERMINATED', `${enclaveId} was terminated`);
    };
    const waitNs = (ns: number) => {
      if (!Number.isSafeInteger(ns) || ns < 0 || ns > ENCLAVE_WAIT_NS_MAX) {
        throw new EmuError('ENCLAVE_BAD_WAIT', `${enclaveId}: a wait must be 0…${ENCLAVE_WAIT_NS_MAX} ns, got ${String(ns)}`);
      }
      return ns;
    };
    const lib = createEnclaveLibrary(
      () => client.getRandom(),
      nsmTimeFrom(() => client.attestation({})),
    );
    const accel = createEnclaveAccelerators({
      sim,
      enclaveId,
      ports: () => {
        alive();
        return this.#options.devices?.() ?? [];
      },
      random: () => lib.randomFromNsm(),
      platformTrust: () => {
        const { doc } = parseAttestationDocument(client.attestation({}));
        return { nitroRootDer: doc.cabundle[0]!, atMs: doc.timestamp };
      },
    });
    return Object.freeze({
      abiVersion: 1 as const,
      enclaveId,
      cid,
      nsm: Object.freeze({
        request: (bytes: Uint8Array) => nsm.request(bytes),
        attestation: (fields: { publicKey?: Uint8Array; userData?: Uint8Array; nonce?: Uint8Array }) =>
          client.attestation(fields),
        getRandom: () => client.getRandom(),
        describePcr: (index: number) => client.describePcr(index),
        extendPcr: (index: number, data: Uint8Array) => client.extendPcr(index, data),
        lockPcr: (index: number) => client.lockPcr(index),
      }),
      vsock: Object.freeze({
        connect: async (toCid: number, port: number) => {
          alive();
          return track(await vsock.connect(cid, { cid: toCid, port }));
        },
        listen: (port: number, onConnection: (connection: AbiConnection) => void) => {
          alive();
          vsock.listen({ cid, port }, (end) => onConnection(track(end)));
        },
      }),
      memory: Object.freeze({
        bytesTotal: memory.bytesTotal,
        store: (bytes: Uint8Array) => {
          alive();
          const address = this.#heapTop;
          if (address + bytes.length > memory.bytesTotal) {
            throw new EmuError('ENCLAVE_OUT_OF_MEMORY', `${enclaveId}: ${bytes.length} bytes do not fit`);
          }
          memory.write(address, bytes);
          this.#heapTop = address + bytes.length;
          return Object.freeze({ address, length: bytes.length });
        },
        load: (region: { readonly address: number; readonly length: number }) => memory.read(region.address, region.length),
      }),
      console: Object.freeze({ log: (line: string) => this.#options.console(String(line)) }),
      image: Object.freeze({
        readFile: (path: string) => this.#options.appFiles.get(String(path))?.slice() ?? null,
      }),
      platform: Object.freeze({
        counterRead: () => this.#counter().read(),
        counterAdvance: (to: number) => this.#counter().advance(to),
      }),
      lib,
      accel,
      event: (kind: string, fields: Record<string, string | number | boolean> = {}) =>
        sim.record(`app.${kind}`, { enclaveId, ...fields }),
      sleep: async (ns: number) => {
        alive();
        await sim.sleep(waitNs(ns), `enclave ${enclaveId} sleep`);
        alive();
      },
      withTimeout: <T>(work: Promise<T>, ns: number, what: string) =>
        sim.withTimeout(
          Promise.resolve(work),
          waitNs(ns),
          () => new EmuError('ENCLAVE_TIMEOUT', `${enclaveId}: no ${String(what)} within ${ns} ns`),
          `enclave ${enclaveId} timeout`,
        ),
    });
  }
}
