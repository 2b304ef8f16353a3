/**
 * The EIF container, byte for byte as aws-nitro-enclaves-image-format writes it (README "Enclave Image File
 * Specification", `src/defs/mod.rs`, `EifBuilder`): a 548-byte big-endian header, then sections, each a
 * 12-byte header {type u16, flags u16, size u64} followed by its data. `section_offsets[i]` points at the
 * section *header*; `section_sizes[i]` counts the data only. This file knows the container, not what the
 * sections mean (see eif.ts).
 */
import { EmuError } from '../errors.ts';
import { Crc32 } from './crc32.ts';

export const EIF_MAGIC = new Uint8Array([0x2e, 0x65, 0x69, 0x66]); // ".eif"
export const EIF_VERSION = 4;
export const EIF_HEADER_BYTES = 548;
export const EIF_SECTION_HEADER_BYTES = 12;
export const EIF_SECTIONS_MAX = 32;
export const EIF_SECTIONS_MIN = 2;
/** Far above any enclave image we build; keeps a hostile file from making us allocate without bound. */
export const EIF_BYTES_MAX = 512 * 1024 * 1024;
/** Header flag bit 0: 0 x86_64, 1 aarch64. The other bits are reserved and ignored, as by the real loader. */
export const EIF_FLAG_ARCH_AARCH64 = 0x1;
/** Byte offset of `eif_crc32`, the last field of the header, the only bytes the CRC leaves out. */
const CRC_FIELD_OFFSET = 544;
const OFFSETS_AT = 0x1c;
const SIZES_AT = OFFSETS_AT + 8 * EIF_SECTIONS_MAX;
const UNUSED_AT = SIZES_AT + 8 * EIF_SECTIONS_MAX;

export const EifSectionType = {
  Kernel: 1,
  Cmdline: 2,
  Ramdisk: 3,
  Signature: 4,
  Metadata: 5,
} as const;
export type EifSectionType = (typeof EifSectionType)[keyof typeof EifSectionType];

export function eifSectionTypeName(type: EifSectionType): keyof typeof EifSectionType {
  const names = ['Kernel', 'Cmdline', 'Ramdisk', 'Signature', 'Metadata'] as const;
  return names[type - 1]!;
}

export interface EifSection {
  readonly type: EifSectionType;
  /** Reserved by the format; nitro-cli writes 0. */
  readonly flags: number;
  readonly data: Uint8Array;
}

export interface EifLayout {
  readonly version: number;
  readonly flags: number;
  /** Unused by the real stack; nitro-cli writes 1 GiB and 2. */
  readonly defaultMemBytes: number;
  readonly defaultCpus: number;
  readonly sections: readonly EifSection[];
  /** CRC stored in the header and the one computed over the file. */
  readonly crcStored: number;
  readonly crcComputed: number;
}

export interface EifLayoutInput {
  readonly flags?: number;
  readonly defaultMemBytes?: number;
  readonly defaultCpus?: number;
  readonly sections: readonly EifSection[];
}

/** Lays the sections out contiguously after the header, in the given order, and fills in the CRC. */
export function encodeEifLayout(input: EifLayoutInput): Uint8Array {
  const { sections } = input;
  if (sections.length < EIF_SECTIONS_MIN || sections.length > EIF_SECTIONS_MAX) {
    throw new EmuError('EIF_BAD_SECTION_COUNT', `an EIF has ${EIF_SECTIONS_MIN}..${EIF_SECTIONS_MAX} sections, got ${sections.length}`);
  }
  let total = EIF_HEADER_BYTES;
  for (const section of sections) total += EIF_SECTION_HEADER_BYTES + section.data.length;
  if (total > EIF_BYTES_MAX) throw new EmuError('EIF_TOO_LARGE', `the image would be ${total} bytes, over ${EIF_BYTES_MAX}`);

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(EIF_MAGIC, 0);
  view.setUint16(4, EIF_VERSION);
  view.setUint16(6, input.flags ?? 0);
  view.setBigUint64(8, BigInt(input.defaultMemBytes ?? 1024 * 1024 * 1024));
  view.setBigUint64(16, BigInt(input.defaultCpus ?? 2));
  view.setUint16(24, 0);
  view.setUint16(26, sections.length);
  let cursor = EIF_HEADER_BYTES;
  sections.forEach((section, i) => {
    view.setBigUint64(OFFSETS_AT + 8 * i, BigInt(cursor));
    view.setBigUint64(SIZES_AT + 8 * i, BigInt(section.data.length));
    view.setUint16(cursor, section.type);
    view.setUint16(cursor + 2, section.flags);
    view.setBigUint64(cursor + 4, BigInt(section.data.length));
    out.set(section.data, cursor + EIF_SECTION_HEADER_BYTES);
    cursor += EIF_SECTION_HEADER_BYTES + section.data.length;
  });
  view.setUint32(UNUSED_AT, 0);
  view.setUint32(CRC_FIELD_OFFSET, crcOfImage(out));
  return out;
}

/** CRC-32 over everything but the `eif_crc32` field (header fields, section headers and data alike). */
export function crcOfImage(image: Uint8Array): number {
  return new Crc32()
    .update(image.subarray(0, CRC_FIELD_OFFSET))
    .update(image.subarray(EIF_HEADER_BYTES))
    .value;
}

function readSafeU64(view: DataView, at: number, what: string): number {
  const value = view.getBigUint64(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new EmuError('EIF_MALFORMED', `${what} is out of range`);
  return Number(value);
}

/**
 * Strict structural decode. Sections must tile the file exactly: the first starts right after the header,
 * each next one right after the previous one, the last one ends at the end of the file; header sizes must
 * agree with section headers; unused table entries must be zero. A CRC mismatch is reported, not thrown:
 * `describe-eif` shows it as `"CheckCRC": false`.
 */
export function decodeEifLayout(bytes: Uint8Array): EifLayout {
  if (bytes.length > EIF_BYTES_MAX) throw new EmuError('EIF_TOO_LARGE', `the file is ${bytes.length} bytes, over ${EIF_BYTES_MAX}`);
  if (bytes.length < EIF_HEADER_BYTES) {
    throw new EmuError('EIF_TRUNCATED', `an EIF header is ${EIF_HEADER_BYTES} bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < EIF_MAGIC.length; i++) {
    if (bytes[i] !== EIF_MAGIC[i]) throw new EmuError('EIF_BAD_MAGIC', 'the file does not start with ".eif"');
  }
  const version = view.getUint16(4);
  // Versions 2 and 3 differ from 4 only in which sections exist (checked in eif.ts); 0, 1 and >4 are not
  // loadable by the real stack either.
  if (version < 2 || version > EIF_VERSION) {
    throw new EmuError('EIF_UNSUPPORTED_VERSION', `EIF version ${version} is not supported (2..${EIF_VERSION})`, { version });
  }
  const sectionCount = view.getUint16(26);
  if (sectionCount < EIF_SECTIONS_MIN || sectionCount > EIF_SECTIONS_MAX) {
    throw new EmuError('EIF_BAD_SECTION_COUNT', `num_sections must be ${EIF_SECTIONS_MIN}..${EIF_SECTIONS_MAX}, got ${sectionCount}`);
  }
  for (let i = sectionCount; i < EIF_SECTIONS_MAX; i++) {
    if (view.getBigUint64(OFFSETS_AT + 8 * i) !== 0n || view.getBigUint64(SIZES_AT + 8 * i) !== 0n) {
      throw new EmuError('EIF_MALFORMED', `section table entry ${i} is beyond num_sections but not zero`);
    }
  }

  const sections: EifSection[] = [];
  let cursor = EIF_HEADER_BYTES;
  for (let i = 0; i < sectionCount; i++) {
    const offset = view.getBigUint64(OFFSETS_AT + 8 * i);
    const size = view.getBigUint64(SIZES_AT + 8 * i);
    if (offset < BigInt(cursor)) {
      throw new EmuError('EIF_SECTION_OVERLAP', `section ${i} at offset ${offset} overlaps what comes before (ends at ${cursor})`);
    }
    if (offset > BigInt(cursor)) throw new EmuError('EIF_SECTION_GAP', `section ${i} at offset ${offset} leaves a gap after ${cursor}`);
    const end = offset + BigInt(EIF_SECTION_HEADER_BYTES) + size;
    if (end > BigInt(bytes.length)) {
      throw new EmuError('EIF_SECTION_OUT_OF_BOUNDS', `section ${i} (offset ${offset}, size ${size}) runs past the end of the file (${bytes.length} bytes)`);
    }
    const type = view.getUint16(cursor);
    if (type < EifSectionType.Kernel || type > EifSectionType.Metadata) {
      throw new EmuError('EIF_UNKNOWN_SECTION_TYPE', `section ${i} has type ${type}`, { index: i, type });
    }
    const declared = view.getBigUint64(cursor + 4);
    if (declared !== size) {
      throw new EmuError('EIF_SECTION_SIZE_MISMATCH', `section ${i}: header says ${size} bytes, section header says ${declared}`);
    }
    const dataAt = cursor + EIF_SECTION_HEADER_BYTES;
    sections.push({
      type: type as EifSectionType,
      flags: view.getUint16(cursor + 2),
      // A copy: what was measured must not change if the caller reuses its buffer.
      data: bytes.slice(dataAt, dataAt + Number(size)),
    });
    cursor = Number(end);
  }
  if (cursor !== bytes.length) {
    throw new EmuError('EIF_TRAILING_BYTES', `${bytes.length - cursor} bytes follow the last section`);
  }
  return {
    version,
    flags: view.getUint16(6),
    defaultMemBytes: readSafeU64(view, 8, 'default_mem'),
    defaultCpus: readSafeU64(view, 16, 'default_cpus'),
    sections,
    crcStored: view.getUint32(CRC_FIELD_OFFSET),
    crcComputed: crcOfImage(bytes),
  };
}
