// The efa raw endpoint address (research/efa-srd.md §2.1): gid[16] | qpn u16 | pad u16 | connid u32 | reserved u64,
// little-endian like the C struct on x86, and the FI_AV_TABLE address vector that maps it to an FiAddr.
import { EmuError } from '../../errors.ts';
import type { HostId } from '../contracts.ts';
import { FI_ADDR_UNSPEC, type FiAddr } from './types.ts';

export const RAW_ADDRESS_BYTES = 32;
/** Our gid is an IPv6 link-local-style address whose last four bytes are the host id. */
const GID_PREFIX = [0xfe, 0x80] as const;
const HOST_ID_MAX = 0xffff_ffff;
export const QPN_MAX = 0xffff;

export interface EndpointName {
  readonly host: HostId;
  readonly qpn: number;
  /** Random per endpoint: an address of a closed endpoint does not reach a new one that reuses its qpn. */
  readonly connid: number;
}

export function encodeRawAddress(name: EndpointName): Uint8Array {
  if (!Number.isInteger(name.host) || name.host < 0 || name.host > HOST_ID_MAX) {
    throw new EmuError('AV_BAD_ADDRESS', 'host id must be a u32', { host: name.host });
  }
  if (!Number.isInteger(name.qpn) || name.qpn < 0 || name.qpn > QPN_MAX) {
    throw new EmuError('AV_BAD_ADDRESS', 'qpn must be a u16', { qpn: name.qpn });
  }
  if (!Number.isInteger(name.connid) || name.connid < 0 || name.connid > 0xffff_ffff) {
    throw new EmuError('AV_BAD_ADDRESS', 'connid must be a u32', { connid: name.connid });
  }
  const raw = new Uint8Array(RAW_ADDRESS_BYTES);
  const view = new DataView(raw.buffer);
  raw[0] = GID_PREFIX[0];
  raw[1] = GID_PREFIX[1];
  view.setUint32(12, name.host, false);
  view.setUint16(16, name.qpn, true);
  view.setUint32(20, name.connid, true);
  return raw;
}

/** Strict: wrong length, foreign gid prefix, non-zero pad or reserved bytes are AV_BAD_ADDRESS. */
export function decodeRawAddress(raw: Uint8Array): EndpointName {
  if (!(raw instanceof Uint8Array) || raw.length !== RAW_ADDRESS_BYTES) {
    throw new EmuError('AV_BAD_ADDRESS', `raw address must be ${RAW_ADDRESS_BYTES} bytes`, {
      length: raw instanceof Uint8Array ? raw.length : -1,
    });
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let gidMiddle = 0;
  for (let i = 2; i < 12; i++) gidMiddle |= raw[i]!;
  if (raw[0] !== GID_PREFIX[0] || raw[1] !== GID_PREFIX[1] || gidMiddle !== 0) {
    throw new EmuError('AV_BAD_ADDRESS', 'gid is not an emulated fabric gid');
  }
  let reserved = view.getUint16(18, true);
  for (let i = 24; i < 32; i++) reserved |= raw[i]!;
  if (reserved !== 0) throw new EmuError('AV_BAD_ADDRESS', 'pad and reserved bytes must be zero');
  return { host: view.getUint32(12, false), qpn: view.getUint16(16, true), connid: view.getUint32(20, true) };
}

export function nameKey(name: EndpointName): string {
  return `${name.host}:${name.qpn}:${name.connid}`;
}

/** FI_AV_TABLE: FiAddrs are dense indices in insertion order; inserting a known address returns its FiAddr. */
export class AddressVector {
  readonly #entries: (EndpointName | undefined)[] = [];
  readonly #byKey = new Map<string, FiAddr>();
  readonly #sizeMax: number;

  constructor(sizeMax: number) {
    this.#sizeMax = sizeMax;
  }

  get count(): number {
    return this.#byKey.size;
  }

  insert(raw: Uint8Array): FiAddr {
    const name = decodeRawAddress(raw);
    const key = nameKey(name);
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    if (this.#entries.length >= this.#sizeMax) {
      throw new EmuError('AV_FULL', `address vector holds at most ${this.#sizeMax} entries`);
    }
    const fiAddr = this.#entries.length;
    this.#entries.push(name);
    this.#byKey.set(key, fiAddr);
    return fiAddr;
  }

  /** The address an FiAddr names; unknown or removed → AV_UNKNOWN_ADDR. */
  lookup(fiAddr: FiAddr): EndpointName {
    const name = Number.isInteger(fiAddr) && fiAddr >= 0 ? this.#entries[fiAddr] : undefined;
    if (name === undefined) throw new EmuError('AV_UNKNOWN_ADDR', 'fi_addr is not in this address vector', { fiAddr });
    return name;
  }

  /** fi_av_remove: the index is not reused (a stale FiAddr stays unknown). */
  remove(fiAddr: FiAddr): void {
    const name = this.lookup(fiAddr);
    this.#entries[fiAddr] = undefined;
    this.#byKey.delete(nameKey(name));
  }

  /** The FiAddr of a peer, or FI_ADDR_UNSPEC when it is not in this AV (receives do not need it). */
  reverse(name: EndpointName): FiAddr {
    return this.#byKey.get(nameKey(name)) ?? FI_ADDR_UNSPEC;
  }
}
