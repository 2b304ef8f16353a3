import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/index.ts';
import {
  EifSectionType,
  crc32,
  decodeEifLayout,
  encodeEifLayout,
  readEif,
  parseEif,
  buildEnclaveImage,
  type EifSection,
} from '../../src/enclave/index.ts';
import { appFile, expectCode } from './helpers.ts';

const sections: EifSection[] = [
  { type: EifSectionType.Kernel, flags: 0, data: utf8('kernel!') },
  { type: EifSectionType.Cmdline, flags: 0, data: utf8('console=ttyS0') },
  { type: EifSectionType.Metadata, flags: 0, data: utf8('{}') },
  { type: EifSectionType.Ramdisk, flags: 0, data: new Uint8Array([1, 2, 3]) },
];

/** Rewrites the stored CRC so a test can reach the checks that come after it. */
function fixCrc(image: Uint8Array): Uint8Array {
  const copy = image.slice();
  const crc = zlibCrc32(Buffer.concat([copy.subarray(0, 544), copy.subarray(548)]));
  new DataView(copy.buffer).setUint32(544, crc);
  return copy;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

describe('CRC-32/ISO-HDLC', () => {
  it('has the catalogue check value and agrees with zlib', () => {
    expect(crc32(utf8('123456789'))).toBe(0xcbf43926);
    const data = new Uint8Array(4099).map((_, i) => (i * 131 + 7) & 0xff);
    expect(crc32(data)).toBe(zlibCrc32(data));
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('EIF layout', () => {
  it('writes the header and section headers at the offsets of the specification', () => {
    const image = encodeEifLayout({ sections });
    const v = view(image);
    expect([...image.subarray(0, 4)]).toEqual([0x2e, 0x65, 0x69, 0x66]);
    expect(v.getUint16(4)).toBe(4); // version
    expect(v.getUint16(6)).toBe(0); // flags: x86_64
    expect(v.getBigUint64(8)).toBe(1024n * 1024n * 1024n); // default_mem as nitro-cli writes it
    expect(v.getBigUint64(16)).toBe(2n); // default_cpus
    expect(v.getUint16(26)).toBe(4); // num_sections
    // section_offsets at 0x1c point at section headers; section_sizes at 0x11c count data only
    expect(v.getBigUint64(0x1c)).toBe(548n);
    expect(v.getBigUint64(0x1c + 8)).toBe(548n + 12n + 7n);
    expect(v.getBigUint64(0x11c)).toBe(7n);
    expect(v.getBigUint64(0x11c + 8 * 3)).toBe(3n);
    expect(v.getBigUint64(0x1c + 8 * 4)).toBe(0n); // unused entries are zero
    // first section header: type 1 (kernel), flags 0, size 7
    expect(v.getUint16(548)).toBe(1);
    expect(v.getUint16(550)).toBe(0);
    expect(v.getBigUint64(552)).toBe(7n);
    expect(image.length).toBe(548 + 4 * 12 + 7 + 13 + 2 + 3);
    // the CRC covers everything except its own four bytes
    expect(v.getUint32(544)).toBe(zlibCrc32(Buffer.concat([image.subarray(0, 544), image.subarray(548)])));
  });

  it('round-trips sections, flags and CRC', () => {
    const image = encodeEifLayout({ sections, flags: 1 });
    const layout = decodeEifLayout(image);
    expect(layout.version).toBe(4);
    expect(layout.flags).toBe(1);
    expect(layout.sections.map((s) => s.type)).toEqual([1, 2, 5, 3]);
    expect(layout.sections[1]!.data).toEqual(utf8('console=ttyS0'));
    expect(layout.crcStored).toBe(layout.crcComputed);
  });

  it('reports a flipped data byte as a CRC mismatch and a flipped header field too', () => {
    const image = encodeEifLayout({ sections });
    const data = image.slice();
    data[data.length - 1]! ^= 0x01;
    const layout = decodeEifLayout(data);
    expect(layout.crcStored).not.toBe(layout.crcComputed);
    const header = image.slice();
    header[10]! ^= 0x80; // default_mem: ignored by the loader, covered by the CRC all the same
    expect(decodeEifLayout(header).crcStored).not.toBe(decodeEifLayout(header).crcComputed);
    const crcOnly = image.slice();
    crcOnly[545]! ^= 0x01;
    expect(decodeEifLayout(crcOnly).crcStored).not.toBe(decodeEifLayout(crcOnly).crcComputed);
  });

  it('refuses every structural defect with its own code', () => {
    const image = encodeEifLayout({ sections });
    const patch = (edit: (bytes: Uint8Array, v: DataView) => void) => {
      const copy = image.slice();
      edit(copy, view(copy));
      return copy;
    };
    expectCode(() => decodeEifLayout(image.subarray(0, 547)), 'EIF_TRUNCATED');
    expectCode(() => decodeEifLayout(patch((b) => (b[0] = 0x2f))), 'EIF_BAD_MAGIC');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setUint16(4, 5))), 'EIF_UNSUPPORTED_VERSION');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setUint16(4, 1))), 'EIF_UNSUPPORTED_VERSION');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setUint16(26, 1))), 'EIF_BAD_SECTION_COUNT');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setUint16(26, 33))), 'EIF_BAD_SECTION_COUNT');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setBigUint64(0x1c + 8 * 5, 9n))), 'EIF_MALFORMED');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setBigUint64(0x1c + 8, 548n + 12n))), 'EIF_SECTION_OVERLAP');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setBigUint64(0x1c + 8, 548n + 12n + 8n))), 'EIF_SECTION_GAP');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setBigUint64(0x11c + 8 * 3, 4n))), 'EIF_SECTION_OUT_OF_BOUNDS');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setBigUint64(0x11c + 8 * 3, 2n ** 63n))), 'EIF_SECTION_OUT_OF_BOUNDS');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setBigUint64(552, 6n))), 'EIF_SECTION_SIZE_MISMATCH');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setUint16(548, 6))), 'EIF_UNKNOWN_SECTION_TYPE');
    expectCode(() => decodeEifLayout(patch((_, v) => v.setUint16(548, 0))), 'EIF_UNKNOWN_SECTION_TYPE');
    const longer = new Uint8Array(image.length + 1);
    longer.set(image);
    expectCode(() => decodeEifLayout(longer), 'EIF_TRAILING_BYTES');
  });

  it('bounds the file size before reading anything', () => {
    const huge = new Uint8Array(512 * 1024 * 1024 + 1);
    expectCode(() => decodeEifLayout(huge), 'EIF_TOO_LARGE');
  });
});

describe('EIF meaning', () => {
  const layoutWith = (list: EifSection[], version?: number) => {
    const image = encodeEifLayout({ sections: list });
    if (version !== undefined) view(image).setUint16(4, version);
    return fixCrc(image);
  };
  const [kernel, cmdline, metadata, ramdisk] = sections as [EifSection, EifSection, EifSection, EifSection];
  const realMetadata: EifSection = {
    type: EifSectionType.Metadata,
    flags: 0,
    data: readEif(buildEnclaveImage({ appFiles: [appFile('main.js', 'x')], entry: 'main.js' })).sections[2]!.data,
  };

  it('requires exactly one kernel, cmdline and metadata and at least one ramdisk', () => {
    expectCode(() => readEif(layoutWith([cmdline, realMetadata, ramdisk])), 'EIF_MISSING_SECTION');
    expectCode(() => readEif(layoutWith([kernel, realMetadata, ramdisk])), 'EIF_MISSING_SECTION');
    expectCode(() => readEif(layoutWith([kernel, cmdline, ramdisk])), 'EIF_MISSING_SECTION');
    expectCode(() => readEif(layoutWith([kernel, cmdline, realMetadata])), 'EIF_MISSING_SECTION');
    expectCode(() => readEif(layoutWith([kernel, kernel, cmdline, realMetadata, ramdisk])), 'EIF_DUPLICATE_SECTION');
    expectCode(() => readEif(layoutWith([kernel, cmdline, realMetadata, realMetadata, ramdisk])), 'EIF_DUPLICATE_SECTION');
  });

  it('requires ramdisks after the kernel and checks the metadata JSON', () => {
    expectCode(() => readEif(layoutWith([ramdisk, kernel, cmdline, realMetadata])), 'EIF_SECTION_ORDER');
    expectCode(() => readEif(layoutWith([kernel, cmdline, metadata, ramdisk])), 'EIF_BAD_METADATA');
    const notJson = { ...metadata, data: utf8('{"ImageName":') };
    expectCode(() => readEif(layoutWith([kernel, cmdline, notJson, ramdisk])), 'EIF_BAD_METADATA');
  });

  it('reads version 3 images without metadata, and refuses metadata in them', () => {
    const v3 = readEif(layoutWith([kernel, cmdline, ramdisk], 3));
    expect(v3.version).toBe(3);
    expect(v3.metadata).toBeUndefined();
    expectCode(() => readEif(layoutWith([kernel, cmdline, realMetadata, ramdisk], 3)), 'EIF_UNEXPECTED_SECTION');
  });

  it('parseEif refuses a CRC mismatch that readEif only reports', () => {
    const image = buildEnclaveImage({ appFiles: [appFile('main.js', 'x')], entry: 'main.js' });
    const damaged = image.slice();
    damaged[damaged.length - 20]! ^= 0x40;
    expect(readEif(damaged).crcOk).toBe(false);
    expectCode(() => parseEif(damaged), 'EIF_CRC_MISMATCH');
    expect(parseEif(image).crcOk).toBe(true);
  });
});
