import { concatBytes, fromUtf8, sha384, toHex, utf8 } from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import type { MeasurementRecord } from './spdm/index.ts';
import type { DeviceProfile } from './flavours.ts';
import type { DeviceMode } from './types.ts';

/**
 * The device's measurement blocks and opaque data, computed the same way by the device (at boot) and by the vendor
 * (for its reference manifest, a RIM stand-in).
 *
 * Measurement indices (DMTF value types from DSP0274):
 *   1  boot ROM             (0x00 immutable ROM)       SHA-384 of the ROM image (which embeds the vendor's firmware key)
 *   2  firmware             (0x01 mutable firmware)    the FWID: SHA-384 of the signed firmware bytes (firmware.ts)
 *   3  hardware config      (0x02 hardware config)     SHA-384 of the product/flavour configuration string
 *   4  mode register        (0x05 device mode)         SHA-384 of "mode=<off|confidential|devtools>"
 *   5  link mode            (0x03 firmware config)     SHA-384 of "link=encrypted" (no plaintext peer-link mode here)
 *
 * Opaque data: TLVs {type u16 LE, len u16 LE, value}, as NVIDIA's report carries them (research/gpu-cc.md §1.3).
 * Types 6, 12 and 20 follow NVIDIA's numbering; 0x8001.. are this emulator's vendor-private types.
 */
export const MEASUREMENT_INDEX = { rom: 1, firmware: 2, hardwareConfig: 3, mode: 4, linkMode: 5 } as const;
export const MEASUREMENT_COUNT = 5;

export const OPAQUE_TYPE = {
  /** UTF-8 firmware version (NVIDIA uses 6 for the VBIOS version). */
  firmwareVersion: 6,
  /** MSRSCNT-like: one u32 LE per measurement index 1..5, bumped each time that measurement changes. */
  measurementChangeCount: 12,
  /** 48-byte SHA-384 FWID of the running firmware (NVIDIA type 20). */
  fwid: 20,
  /** UTF-8 mode: "off" | "confidential" | "devtools". */
  mode: 0x8001,
  /** u32 LE security version of the running firmware. */
  svn: 0x8002,
  /** UTF-8 "encrypted": peer-link frames are sealed. */
  linkMode: 0x8003,
} as const;

const OPAQUE_BYTES_MAX = 1024;
const OPAQUE_ENTRIES_MAX = 64;
const LINK_MODE = 'encrypted';

/** The boot ROM image: fixed per product, with the vendor's firmware-signing public key burned in. */
export function bootRomImage(profile: DeviceProfile, firmwarePublicKey: Uint8Array): Uint8Array {
  return concatBytes(utf8(`nitro-emu ${profile.product} boot ROM v1 (emulated)\0`), firmwarePublicKey);
}

function hardwareConfig(profile: DeviceProfile): Uint8Array {
  return utf8(`product=${profile.product};flavour=${profile.flavour};trust=${profile.trustModel}`);
}

export interface MeasuredState {
  readonly profile: DeviceProfile;
  readonly romImage: Uint8Array;
  readonly firmwareDigest: Uint8Array;
  readonly mode: DeviceMode;
}

export function measurementRecords(state: MeasuredState): MeasurementRecord[] {
  return [
    { index: MEASUREMENT_INDEX.rom, valueType: 0x00, digest: sha384(state.romImage) },
    { index: MEASUREMENT_INDEX.firmware, valueType: 0x01, digest: state.firmwareDigest.slice() },
    { index: MEASUREMENT_INDEX.hardwareConfig, valueType: 0x02, digest: sha384(hardwareConfig(state.profile)) },
    { index: MEASUREMENT_INDEX.mode, valueType: 0x05, digest: sha384(utf8(`mode=${state.mode}`)) },
    { index: MEASUREMENT_INDEX.linkMode, valueType: 0x03, digest: sha384(utf8(`link=${LINK_MODE}`)) },
  ];
}

/** Index → SHA-384 hex, the shape DeviceTrustPolicy.referenceMeasurements takes. */
export function measurementMap(records: readonly MeasurementRecord[]): Map<number, string> {
  return new Map(records.map((r) => [r.index, toHex(r.digest)]));
}

function tlv(type: number, value: Uint8Array): Uint8Array {
  const head = new Uint8Array(4);
  const view = new DataView(head.buffer);
  view.setUint16(0, type, true);
  view.setUint16(2, value.length, true);
  return concatBytes(head, value);
}

function u32le(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

export interface OpaqueClaims {
  readonly mode: DeviceMode;
  readonly svn: number;
  readonly fwid: Uint8Array;
  readonly firmwareVersion: string;
  readonly linkMode: string;
  readonly measurementChangeCounts: readonly number[];
}

export function encodeOpaque(claims: OpaqueClaims): Uint8Array {
  return concatBytes(
    tlv(OPAQUE_TYPE.firmwareVersion, utf8(claims.firmwareVersion)),
    tlv(OPAQUE_TYPE.measurementChangeCount, concatBytes(...claims.measurementChangeCounts.map(u32le))),
    tlv(OPAQUE_TYPE.fwid, claims.fwid),
    tlv(OPAQUE_TYPE.mode, utf8(claims.mode)),
    tlv(OPAQUE_TYPE.svn, u32le(claims.svn)),
    tlv(OPAQUE_TYPE.linkMode, utf8(claims.linkMode)),
  );
}

export function linkModeClaim(): string {
  return LINK_MODE;
}

/** Strict TLV walk: every entry whole, no trailing bytes; works on NVIDIA's real opaque data too. */
export function parseOpaqueTlvs(bytes: Uint8Array): { type: number; value: Uint8Array }[] {
  if (bytes.length > OPAQUE_BYTES_MAX) throw new EmuError('DEV_BAD_OPAQUE', `opaque data exceeds ${OPAQUE_BYTES_MAX} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { type: number; value: Uint8Array }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (out.length >= OPAQUE_ENTRIES_MAX) throw new EmuError('DEV_BAD_OPAQUE', 'too many opaque entries');
    if (offset + 4 > bytes.length) throw new EmuError('DEV_BAD_OPAQUE', 'opaque data ends inside a TLV header', { offset });
    const type = view.getUint16(offset, true);
    const length = view.getUint16(offset + 2, true);
    if (offset + 4 + length > bytes.length) throw new EmuError('DEV_BAD_OPAQUE', 'opaque TLV runs past the end', { offset, type });
    out.push({ type, value: bytes.slice(offset + 4, offset + 4 + length) });
    offset += 4 + length;
  }
  return out;
}

const MODES: readonly DeviceMode[] = ['off', 'confidential', 'devtools'];

/** The claims this emulator's devices put in their opaque data; typed error when one is missing, repeated or bad. */
export function readOpaqueClaims(bytes: Uint8Array): OpaqueClaims {
  const entries = parseOpaqueTlvs(bytes);
  const one = (type: number, what: string): Uint8Array => {
    const found = entries.filter((e) => e.type === type);
    if (found.length !== 1) throw new EmuError('DEV_BAD_OPAQUE', `opaque data must carry exactly one ${what}`, { count: found.length });
    return found[0]!.value;
  };
  const text = (type: number, what: string): string => {
    try {
      return fromUtf8(one(type, what));
    } catch (error) {
      if (error instanceof EmuError) throw error;
      throw new EmuError('DEV_BAD_OPAQUE', `${what} is not UTF-8`);
    }
  };
  const u32 = (value: Uint8Array, what: string): number => {
    if (value.length !== 4) throw new EmuError('DEV_BAD_OPAQUE', `${what} must be a u32`);
    return new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
  };
  const mode = text(OPAQUE_TYPE.mode, 'mode');
  if (!MODES.includes(mode as DeviceMode)) throw new EmuError('DEV_BAD_OPAQUE', `unknown mode ${JSON.stringify(mode)}`);
  const fwid = one(OPAQUE_TYPE.fwid, 'FWID');
  if (fwid.length !== 48) throw new EmuError('DEV_BAD_OPAQUE', 'FWID must be 48 bytes');
  const counts = one(OPAQUE_TYPE.measurementChangeCount, 'measurement change count');
  if (counts.length !== 4 * MEASUREMENT_COUNT) throw new EmuError('DEV_BAD_OPAQUE', 'measurement change counts have the wrong size');
  return {
    mode: mode as DeviceMode,
    svn: u32(one(OPAQUE_TYPE.svn, 'svn'), 'svn'),
    fwid,
    firmwareVersion: text(OPAQUE_TYPE.firmwareVersion, 'firmware version'),
    linkMode: text(OPAQUE_TYPE.linkMode, 'link mode'),
    measurementChangeCounts: Array.from({ length: MEASUREMENT_COUNT }, (_, i) => u32(counts.subarray(4 * i, 4 * i + 4), 'count')),
  };
}

/** MSRSCNT-like counters: each measurement that differs from the last one taken bumps its own counter. */
export class MeasurementTracker {
  readonly #changes = new Array<number>(MEASUREMENT_COUNT).fill(0);
  #last: Uint8Array[] = [];

  /** Takes the current measurements, counting changes since the last call. */
  take(state: MeasuredState): MeasurementRecord[] {
    const records = measurementRecords(state);
    records.forEach((record, i) => {
      const before = this.#last[i];
      if (before !== undefined && toHex(before) !== toHex(record.digest)) this.#changes[i] = (this.#changes[i] ?? 0) + 1;
    });
    this.#last = records.map((r) => r.digest);
    return records;
  }

  changeCounts(): number[] {
    return [...this.#changes];
  }
}
