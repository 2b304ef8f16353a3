import { derToPem, sha256Hex } from '../crypto/index.ts';
import { describeEifJson, parseEif } from '../enclave/index.ts';
import { EmuError } from '../errors.ts';
import type { EnclaveRecord } from '../hypervisor/index.ts';
import { NS_PER_MS, RealTimeDriver, SYSTEM_WALL_CLOCK, type WallClock } from '../sim/index.ts';
import { World } from '../world/index.ts';
import { enclaveCpuPool, freeCpuIds, pickCpuIds, pickEnclaveName } from './slots.ts';
import type { EnclaveDescribeInfo, EnclaveRunInfo, EnclaveTerminateInfo } from './nitro-json.ts';
import { HOST_PROTOCOL_VERSION, type ConsoleEndReason } from './protocol.ts';
import type { EnclaveSelector, RunEnclaveRequest } from './requests.ts';

/** Enclaves one served host runs at once (the parent's vCPUs bound it further). */
export const SERVED_ENCLAVES_MAX = 64;
/** Console readers of one enclave at once. */
export const CONSOLE_READERS_MAX = 16;
/** run-enclave waits for the boot heartbeat in steps of this much time… */
const BOOT_POLL_NS = 10 * NS_PER_MS;
/** …at most this many times (the runtime itself gives up after one second). */
const BOOT_POLLS_MAX = 300;

export interface ConsoleListener {
  line(text: string): void;
  end(reason: ConsoleEndReason): void;
}

export interface ConsoleHandle {
  close(): void;
}

/** run-enclave with attach_console: the listener, and where its handle goes once it is attached. */
export interface ConsoleAttachment {
  readonly listener: ConsoleListener;
  attached(handle: ConsoleHandle): void;
}

export interface ServedHostOptions {
  readonly seed: number;
  /** What ProcessID reports: the process that manages the enclaves (the server's pid). */
  readonly processId: number;
  readonly clock?: WallClock;
  readonly tickMs?: number;
  /** An event handler that threw inside the world (logged by the server; the world keeps running). */
  readonly onWorldError?: (error: unknown) => void;
}

export interface HostDescription {
  readonly Seed: number;
  readonly InstanceID: string;
  readonly Region: string;
  readonly EpochMs: number;
  readonly CPUIDs: readonly number[];
  readonly FreeCPUIDs: readonly number[];
  readonly MemoryMiB: number;
  readonly NitroRootSha256: string;
  readonly NitroRootPem: string;
  readonly ProtocolVersion: number;
}

/**
 * A World whose debug consoles can be read live. The world files every console line in the parent-admin's
 * ledger through `observe` (channel `console <enclave id>`); this is where the served host listens too.
 */
class ServedWorld extends World {
  consoleSink: ((enclaveId: string, line: string) => void) | undefined;

  override observe(owner: string, channel: string, bytes: Uint8Array | string): void {
    super.observe(owner, channel, bytes);
    if (channel.startsWith('console ') && typeof bytes === 'string') this.consoleSink?.(channel.slice('console '.length), bytes);
  }
}

interface ServedEnclave {
  readonly record: EnclaveRecord;
  readonly name: string;
  readonly cpuIds: readonly number[];
  readonly describedImage: Readonly<Record<string, unknown>>;
  readonly consoles: Set<ConsoleListener>;
}

/**
 * One world served in real time: the host, its parent instance and the enclaves launched on it, with the
 * operations nitro-cli asks of the Nitro driver. Every operation runs between the world's events, with virtual
 * time caught up to the wall clock first; a failed operation changes nothing.
 */
export class ServedHost {
  readonly world: World;
  readonly driver: RealTimeDriver;
  readonly #world: ServedWorld;
  readonly #processId: number;
  readonly #enclaves = new Map<string, ServedEnclave>();
  #stopped = false;

  constructor(options: ServedHostOptions) {
    const clock = options.clock ?? SYSTEM_WALL_CLOCK;
    this.#world = new ServedWorld({ seed: options.seed, epochMs: Math.floor(clock.nowMs()), ledgerWhenFull: 'forget-oldest' });
    this.world = this.#world;
    this.#processId = options.processId;
    this.#world.consoleSink = (enclaveId, line) => {
      for (const listener of this.#enclaves.get(enclaveId)?.consoles ?? []) listener.line(line);
    };
    this.driver = new RealTimeDriver(this.#world.sim, {
      clock,
      ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }),
      ...(options.onWorldError === undefined ? {} : { onError: options.onWorldError }),
    });
    this.driver.start();
  }

  describeHost(): Promise<HostDescription> {
    return this.driver.exclusive(() => {
      const parent = this.#world.parent;
      const root = this.#world.host.nitro.rootCertificateDer;
      return {
        Seed: this.#world.sim.seed,
        InstanceID: parent.instanceId,
        Region: this.#world.host.region,
        EpochMs: this.#world.sim.epochMs,
        CPUIDs: this.#cpuPool(),
        FreeCPUIDs: freeCpuIds(this.#cpuPool(), this.#usedCpuIds()),
        MemoryMiB: parent.info.memoryMiB,
        NitroRootSha256: sha256Hex(root),
        NitroRootPem: derToPem(root),
        ProtocolVersion: HOST_PROTOCOL_VERSION,
      };
    });
  }

  /**
   * nitro-cli run-enclave: launches, then waits for the boot heartbeat as nitro-cli does. A console listener
   * (attach_console) is attached before the enclave runs a single event, so it sees every line.
   */
  async runEnclave(request: RunEnclaveRequest, attach: ConsoleAttachment | null): Promise<EnclaveRunInfo> {
    const served = await this.driver.exclusive(() => {
      if (attach !== null && !request.debugMode) throw new EmuError('HOST_CONSOLE_NOT_DEBUG', 'only a debug-mode enclave’s console reaches the parent');
      const launched = this.#launch(request);
      if (attach !== null) attach.attached(this.#attach(launched, null, attach.listener));
      return launched;
    });
    for (let poll = 0; poll < BOOT_POLLS_MAX; poll++) {
      const { state, failure } = await this.driver.exclusive(() => ({ state: served.record.runtime.state, failure: served.record.runtime.failure }));
      // The runtime keeps a failure only for an application that failed after booting (heartbeat and entry
      // failures leave none): that enclave booted, and its console says what happened.
      if (state === 'running' || (state === 'failed' && failure !== undefined)) return this.#runInfo(served);
      if (state !== 'booting') break;
      await new Promise<void>((resolve, reject) => {
        this.driver.exclusive(() => this.#world.sim.schedule(BOOT_POLL_NS, 'host-server boot poll', resolve)).catch(reject);
      });
    }
    const failure = served.record.runtime.failure;
    // As nitro-cli does when the heartbeat never comes: the enclave is torn down and the launch reported failed.
    await this.driver.exclusive(() => (this.#enclaves.has(served.record.enclaveId) ? this.#terminate(served) : undefined));
    throw new EmuError('HOST_ENCLAVE_BOOT_FAILED', `${served.record.enclaveId} did not boot${failure ? `: ${failure.message}` : ''}`);
  }

  describeEnclaves(options: { readonly metadata: boolean }): Promise<EnclaveDescribeInfo[]> {
    return this.driver.exclusive(() => [...this.#enclaves.values()].map((served) => this.#describeInfo(served, options.metadata)));
  }

  /** nitro-cli terminate-enclave; `all` with nothing running terminates nothing and succeeds. */
  terminateEnclave(selector: EnclaveSelector): Promise<EnclaveTerminateInfo[]> {
    return this.driver.exclusive(() => this.#select(selector).map((served) => this.#terminate(served)));
  }

  /** Streams a debug-mode enclave's console lines from now on; ends when it terminates or the timeout passes. */
  openConsole(selector: EnclaveSelector, disconnectTimeoutS: number | null, listener: ConsoleListener): Promise<ConsoleHandle> {
    return this.driver.exclusive(() => {
      const [served] = this.#select(selector);
      if (served === undefined) throw new EmuError('HOST_NO_SUCH_ENCLAVE', 'no enclave to attach to');
      if (!served.record.debugMode) {
        throw new EmuError('HOST_CONSOLE_NOT_DEBUG', `${served.record.enclaveId} was not launched in debug mode: its console is not connected to the parent`);
      }
      return this.#attach(served, disconnectTimeoutS, listener);
    });
  }

  /**
   * One raw NSM request for an enclave, exactly the bytes of the `/dev/nsm` ioctl: the harness door a
   * development tool uses in place of code inside the enclave (docs/host-server.md says what that means).
   */
  nsmRequest(enclaveIdOrName: string, request: Uint8Array): Promise<Uint8Array> {
    return this.driver.exclusive(() => {
      return this.#world.host.nsmRequestFor(this.#selectIdOrName(enclaveIdOrName).record.enclaveId, request);
    });
  }

  /** Resolves the enclave an NSM channel names (HOST_NO_SUCH_ENCLAVE if none). */
  resolveEnclave(enclaveIdOrName: string): Promise<{ readonly enclaveId: string; readonly moduleId: string }> {
    return this.driver.exclusive(() => {
      const { record } = this.#selectIdOrName(enclaveIdOrName);
      return { enclaveId: record.enclaveId, moduleId: record.moduleId };
    });
  }

  /** Terminates every enclave (scrubbing their memory), ends every console, stops the clock. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.driver.exclusive(() => {
      for (const served of this.#enclaves.values()) for (const listener of [...served.consoles]) listener.end('server-stopping');
      for (const served of [...this.#enclaves.values()]) this.#terminate(served);
    });
    await this.driver.stop();
  }

  #attach(served: ServedEnclave, disconnectTimeoutS: number | null, listener: ConsoleListener): ConsoleHandle {
    if (served.consoles.size >= CONSOLE_READERS_MAX) throw new EmuError('HOST_TOO_MANY_CONSOLES', `at most ${CONSOLE_READERS_MAX} console readers per enclave`);
    let open = true;
    let cancelTimeout = () => undefined as void;
    const wrapped: ConsoleListener = {
      line: (text) => open && listener.line(text),
      end: (reason) => {
        if (!open) return;
        open = false;
        served.consoles.delete(wrapped);
        cancelTimeout();
        listener.end(reason);
      },
    };
    served.consoles.add(wrapped);
    if (disconnectTimeoutS !== null) {
      // Virtual time is wall time here, so the world's own timer is the disconnect timer.
      cancelTimeout = this.#world.sim.schedule(disconnectTimeoutS * 1000 * NS_PER_MS, 'console disconnect timeout', () => wrapped.end('timeout'));
    }
    return {
      close: () => {
        if (!open) return;
        open = false;
        served.consoles.delete(wrapped);
        void this.driver.exclusive(() => cancelTimeout()).catch(() => undefined);
      },
    };
  }

  #launch(request: RunEnclaveRequest): ServedEnclave {
    if (this.#stopped) throw new EmuError('HOST_STOPPING', 'the host is shutting down');
    if (this.#enclaves.size >= SERVED_ENCLAVES_MAX) throw new EmuError('HOST_TOO_MANY_ENCLAVES', `at most ${SERVED_ENCLAVES_MAX} enclaves`);
    // Strict (CRC, signature) before anything is allocated: a damaged image changes nothing.
    const describedImage = describeEifJson(parseEif(request.eif));
    const name = pickEnclaveName(request.enclaveName, describedImage['ImageName'], this.#names());
    const cpuIds = pickCpuIds(request.cpu, this.#cpuPool(), this.#usedCpuIds());
    const record = this.#world.host.launchEnclave(this.#world.parent, request.eif, {
      memoryMiB: request.memoryMiB,
      cpuCount: cpuIds.length,
      debugMode: request.debugMode,
      cid: request.enclaveCid ?? 0,
      name,
    });
    const served: ServedEnclave = { record, name, cpuIds, describedImage, consoles: new Set() };
    this.#enclaves.set(record.enclaveId, served);
    record.started.catch((error: unknown) => {
      // What a serial console would show of an application that died; only a debug enclave's reaches the parent.
      if (record.debugMode) for (const listener of served.consoles) listener.line(`[nitro-emu] the application stopped: ${(error as Error).message}`);
    });
    return served;
  }

  #terminate(served: ServedEnclave): EnclaveTerminateInfo {
    this.#world.host.terminateEnclave(served.record.enclaveId, 'parent-admin');
    this.#enclaves.delete(served.record.enclaveId);
    for (const listener of [...served.consoles]) listener.end('terminated');
    return { EnclaveName: served.name, EnclaveID: served.record.enclaveId, Terminated: true };
  }

  #select(selector: EnclaveSelector): ServedEnclave[] {
    if ('all' in selector) return [...this.#enclaves.values()];
    const found =
      'enclaveId' in selector
        ? this.#enclaves.get(selector.enclaveId)
        : [...this.#enclaves.values()].find((served) => served.name === selector.enclaveName);
    if (found === undefined) {
      const what = 'enclaveId' in selector ? `id ${selector.enclaveId}` : `name ${JSON.stringify(selector.enclaveName)}`;
      throw new EmuError('HOST_NO_SUCH_ENCLAVE', `no running enclave with ${what}`);
    }
    return [found];
  }

  /** An NSM channel names its enclave by id or by name; an id wins. */
  #selectIdOrName(enclaveIdOrName: string): ServedEnclave {
    const [served] = this.#select(this.#enclaves.has(enclaveIdOrName) ? { enclaveId: enclaveIdOrName } : { enclaveName: enclaveIdOrName });
    return served!;
  }

  #names(): Set<string> {
    return new Set([...this.#enclaves.values()].map((served) => served.name));
  }

  #cpuPool(): number[] {
    return enclaveCpuPool(this.#world.parent.info.cpuCount);
  }

  #usedCpuIds(): Set<number> {
    return new Set([...this.#enclaves.values()].flatMap((served) => served.cpuIds));
  }

  #runInfo(served: ServedEnclave): EnclaveRunInfo {
    const { record } = served;
    return {
      EnclaveName: served.name,
      EnclaveID: record.enclaveId,
      ProcessID: this.#processId,
      EnclaveCID: record.cid,
      NumberOfCPUs: served.cpuIds.length,
      CPUIDs: served.cpuIds,
      MemoryMiB: record.memoryMiB,
    };
  }

  #describeInfo(served: ServedEnclave, metadata: boolean): EnclaveDescribeInfo {
    const image = served.describedImage;
    const info: EnclaveDescribeInfo = {
      ...this.#runInfo(served),
      // Termination runs whole inside one exclusive step and drops the enclave from the map, so a described one is running.
      State: 'RUNNING',
      Flags: served.record.debugMode ? 'DEBUG_MODE' : 'NONE',
      Measurements: image['Measurements'] as Record<string, string>,
    };
    if (!metadata) return info;
    return {
      ...info,
      ...(typeof image['ImageName'] === 'string' ? { ImageName: image['ImageName'] } : {}),
      ...(typeof image['ImageVersion'] === 'string' ? { ImageVersion: image['ImageVersion'] } : {}),
      ...(image['Metadata'] !== undefined ? { Metadata: image['Metadata'] } : {}),
    };
  }
}
