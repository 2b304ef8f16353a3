import { EmuError, assert } from '../errors.ts';
import type { Simulator } from '../sim/index.ts';
import { createPipe, type DeliveryObserver, type EndOwner, type PipeEnd } from './stream.ts';

export const VMADDR_CID_HYPERVISOR = 0;
export const VMADDR_CID_LOCAL = 1;
export const VMADDR_CID_HOST = 2;
/** The parent instance, as seen from its enclaves. */
export const VMADDR_CID_PARENT = 3;
export const CID_MAX = 0xffff_fffe;

/** The enclave's boot heartbeat: it connects to (parent, 9000) and sends 0xB7; the parent echoes it. */
export const HEARTBEAT_PORT = 9000;
export const HEARTBEAT_BYTE = 0xb7;

export interface VsockAddress {
  readonly cid: number;
  readonly port: number;
}

export type VsockAcceptor = (end: PipeEnd, from: VsockAddress) => void;

export interface VsockOptions {
  readonly sim: Simulator;
  /** One-way latency of a vsock hop (virtio ring + hypervisor). */
  readonly latencyNs?: number;
  readonly observe?: DeliveryObserver;
}

/** The host's vsock switch: who listens where, and who may connect. */
export class VsockBus {
  readonly #sim: Simulator;
  readonly #latencyNs: number;
  readonly #observe: DeliveryObserver | undefined;
  readonly #listeners = new Map<string, { owner: EndOwner; accept: VsockAcceptor }>();
  readonly #cids = new Map<number, EndOwner>();
  /** Server ends each listener accepted, so a crash of the process behind it can close them all. */
  readonly #accepted = new Map<string, PipeEnd[]>();
  /** Listeners whose process crashed: their port refuses until `restart`. */
  readonly #crashed = new Map<string, { owner: EndOwner; accept: VsockAcceptor }>();
  #ephemeralPort = 49152;

  constructor(options: VsockOptions) {
    this.#sim = options.sim;
    this.#latencyNs = options.latencyNs ?? 5_000;
    this.#observe = options.observe;
  }

  /** A guest joins the bus under its CID. CIDs 0–2 and above u32::MAX−1 are reserved, as in the real driver. */
  attach(cid: number, owner: EndOwner): void {
    const reserved = cid === VMADDR_CID_HYPERVISOR || cid === VMADDR_CID_LOCAL || cid === VMADDR_CID_HOST;
    if (!Number.isInteger(cid) || reserved || cid < 0 || cid > CID_MAX) {
      throw new EmuError('VSOCK_BAD_CID', `CID ${cid} is reserved or out of range`);
    }
    if (this.#cids.has(cid)) throw new EmuError('VSOCK_CID_IN_USE', `CID ${cid} is already attached`);
    this.#cids.set(cid, owner);
  }

  detach(cid: number): void {
    this.#cids.delete(cid);
    for (const key of [...this.#listeners.keys()]) if (key.startsWith(`${cid}:`)) this.#listeners.delete(key);
  }

  isAttached(cid: number): boolean {
    return this.#cids.has(cid);
  }

  listen(address: VsockAddress, accept: VsockAcceptor): void {
    const owner = this.#cids.get(address.cid);
    if (owner === undefined) throw new EmuError('VSOCK_NOT_ATTACHED', `CID ${address.cid} is not on this host`);
    const key = `${address.cid}:${address.port}`;
    if (this.#listeners.has(key)) throw new EmuError('VSOCK_ADDR_IN_USE', `vsock ${key} already has a listener`);
    this.#listeners.set(key, { owner, accept });
  }

  unlisten(address: VsockAddress): void {
    this.#listeners.delete(`${address.cid}:${address.port}`);
  }

  /**
   * The process behind a listener dies (a fault plan's proxy crash): every connection it accepted
   * closes and the port refuses new ones until `restart`. Returns whether a listener was there.
   */
  crash(address: VsockAddress): boolean {
    const key = `${address.cid}:${address.port}`;
    const listener = this.#listeners.get(key);
    if (listener === undefined) return false;
    this.#listeners.delete(key);
    this.#crashed.set(key, listener);
    for (const end of this.#accepted.get(key)?.splice(0) ?? []) end.close();
    this.#sim.record('vsock.crash', { address: key });
    return true;
  }

  /** The crashed process is started again with the same code: new connections work again. */
  restart(address: VsockAddress): boolean {
    const key = `${address.cid}:${address.port}`;
    const listener = this.#crashed.get(key);
    if (listener === undefined || this.#listeners.has(key) || !this.#cids.has(address.cid)) return false;
    this.#crashed.delete(key);
    this.#listeners.set(key, listener);
    this.#sim.record('vsock.restart', { address: key });
    return true;
  }

  /** Connects after one round trip of virtual time; refused when nobody listens. */
  async connect(fromCid: number, to: VsockAddress): Promise<PipeEnd> {
    const owner = this.#cids.get(fromCid);
    if (owner === undefined) throw new EmuError('VSOCK_NOT_ATTACHED', `CID ${fromCid} is not on this host`);
    await this.#sim.sleep(2 * this.#latencyNs, 'vsock connect');
    const listener = this.#listeners.get(`${to.cid}:${to.port}`);
    if (listener === undefined) {
      throw new EmuError('VSOCK_CONNECTION_REFUSED', `nothing listens on vsock ${to.cid}:${to.port}`);
    }
    const port = this.#ephemeralPort++;
    assert(port < 2 ** 32, 'ephemeral vsock ports exhausted');
    const [local, remote] = createPipe({
      sim: this.#sim,
      channel: `vsock ${fromCid}:${port}->${to.cid}:${to.port}`,
      latencyNs: this.#latencyNs,
      owners: [owner, listener.owner],
      ...(this.#observe ? { observe: this.#observe } : {}),
    });
    this.#sim.record('vsock.connect', { from: `${fromCid}:${port}`, to: `${to.cid}:${to.port}` });
    this.#track(`${to.cid}:${to.port}`, remote);
    listener.accept(remote, { cid: fromCid, port });
    return local;
  }

  #track(key: string, end: PipeEnd): void {
    const ends = (this.#accepted.get(key) ?? []).filter((e) => !e.closed);
    // Bounded: a server holds at most this many live connections in the bookkeeping.
    if (ends.length >= ACCEPTED_TRACKED_MAX) ends.shift();
    ends.push(end);
    this.#accepted.set(key, ends);
  }
}

const ACCEPTED_TRACKED_MAX = 4096;
