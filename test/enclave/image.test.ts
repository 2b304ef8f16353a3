import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/crypto/index.ts';
import {
  DEFAULT_KERNEL_CMDLINE,
  buildEif,
  buildEnclaveImage,
  buildEnclaveImageWithMeasurements,
  bootstrapRamdisk,
  defaultEnclaveImage,
  identityInfo,
  loadEnclaveApp,
  parseEif,
  readAppFolder,
  readCpio,
  readEif,
} from '../../src/enclave/index.ts';
import { appFile, expectCode } from './helpers.ts';

/**
 * PCR1 of every image we build: kernel stand-in, nitro-cli's cmdline and the bootstrap ramdisk. If this
 * changes, the emulated platform blobs changed: that is an ABI change (bump ENCLAVE_RUNTIME_ABI_VERSION).
 */
const PINNED_PCR1 = '2786843b2949943b0624a04ca9c83bf0c48d03bc07ef0a41be842b4519d9b9678577fc9beffb52fbef89ebc9deb08134';

const APP = [appFile('main.js', '(async function main(enclave) { return 42; })'), appFile('lib/util.js', 'export const x = 1;')];

describe('enclave images', () => {
  it('pins PCR1 (kernel + cmdline + bootstrap) and shares it between unrelated applications', () => {
    const a = buildEnclaveImageWithMeasurements({ appFiles: APP, entry: 'main.js' });
    const b = buildEnclaveImageWithMeasurements({ appFiles: [appFile('other.js', 'x')], entry: 'other.js', name: 'b' });
    expect(toHex(a.measurements.pcr1)).toBe(PINNED_PCR1);
    expect(toHex(b.measurements.pcr1)).toBe(PINNED_PCR1);
    expect(a.measurements.pcr0).not.toEqual(b.measurements.pcr0);
  });

  it('one changed byte in the application changes PCR0 and PCR2, not PCR1', () => {
    const base = buildEnclaveImageWithMeasurements({ appFiles: APP, entry: 'main.js' }).measurements;
    const source = utf8('(async function main(enclave) { return 43; })');
    const changed = buildEnclaveImageWithMeasurements({ appFiles: [{ path: 'main.js', data: source }, APP[1]!], entry: 'main.js' }).measurements;
    expect(changed.pcr0).not.toEqual(base.pcr0);
    expect(changed.pcr2).not.toEqual(base.pcr2);
    expect(changed.pcr1).toEqual(base.pcr1);
  });

  it('is a pure function of its inputs, whatever the order of the files', () => {
    const one = buildEnclaveImage({ appFiles: APP, entry: 'main.js', name: 'n', version: '2' });
    const two = buildEnclaveImage({ appFiles: [...APP].reverse(), entry: 'main.js', name: 'n', version: '2' });
    expect(two).toEqual(one);
  });

  it('lays out kernel, cmdline, metadata and two ramdisks as nitro-cli does', () => {
    const eif = parseEif(buildEnclaveImage({ appFiles: APP, entry: 'main.js' }));
    expect(eif.sections.map((s) => s.type)).toEqual([1, 2, 5, 3, 3]);
    expect(new TextDecoder().decode(eif.cmdline)).toBe(DEFAULT_KERNEL_CMDLINE);
    expect(eif.ramdisks[0]).toEqual(bootstrapRamdisk());
    expect(readCpio(eif.ramdisks[0]!).map((e) => e.path)).toEqual(['init', 'nsm.ko']);
    const app = readCpio(eif.ramdisks[1]!);
    expect(app.map((e) => e.path)).toEqual(['cmd', 'env', 'rootfs', 'rootfs/lib', 'rootfs/lib/util.js', 'rootfs/main.js']);
    expect(new TextDecoder().decode(app[0]!.data)).toBe('main.js');
    expect(app[1]!.data.length).toBe(0);
  });

  it('writes nitro-cli-shaped metadata without reading the clock', () => {
    const eif = readEif(
      buildEnclaveImage({ appFiles: APP, entry: 'main.js', name: 'svc', version: '3.1', metadata: { team: 'ml' }, buildTimeMs: 1_767_225_600_123 }),
    );
    expect(eif.metadata).toEqual({
      ImageName: 'svc',
      ImageVersion: '3.1',
      BuildMetadata: {
        BuildTime: '2026-01-01T00:00:00.123+00:00',
        BuildTool: 'nitro-emu',
        BuildToolVersion: '0.1.0',
        OperatingSystem: 'nitro-emu emulated enclave',
        KernelVersion: 'emulated ABI v1',
      },
      DockerInfo: null,
      CustomMetadata: { team: 'ml' },
    });
    const raw = new TextDecoder().decode(eif.sections[2]!.data);
    expect(raw.startsWith('{"ImageName":"svc","ImageVersion":"3.1","BuildMetadata":{"BuildTime":')).toBe(true);
    expectCode(() => buildEnclaveImage({ appFiles: APP, entry: 'main.js', metadata: [1, 2] }), 'EIF_BAD_METADATA');
    expectCode(() => buildEnclaveImage({ appFiles: APP, entry: 'main.js', metadata: { big: 'x'.repeat(5000) } }), 'EIF_BAD_METADATA');
  });

  it('refuses an entry that is not one of the files, and bad paths', () => {
    expectCode(() => buildEnclaveImage({ appFiles: APP, entry: 'missing.js' }), 'ENCLAVE_IMAGE_BAD_ENTRY');
    expectCode(() => buildEnclaveImage({ appFiles: [appFile('../x.js', '')], entry: '../x.js' }), 'CPIO_BAD_PATH');
  });

  it('loads the application back from the measured ramdisk', () => {
    const app = loadEnclaveApp(parseEif(buildEnclaveImage({ appFiles: APP, entry: 'main.js' })));
    expect(app.entry).toBe('main.js');
    expect(app.source).toBe('(async function main(enclave) { return 42; })');
    expect([...app.files.keys()]).toEqual(['lib/util.js', 'main.js']);
    const noApp = buildEif({
      kernel: utf8('k'),
      cmdline: utf8('c'),
      ramdisks: [bootstrapRamdisk()],
      metadata: identityInfo({ name: 'x', version: '1' }),
    }).bytes;
    expectCode(() => loadEnclaveApp(noApp), 'ENCLAVE_IMAGE_BAD_APP');
  });
});

describe('default image and application folders', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('the default image is the same bytes on every call, and callers cannot alter it for others', () => {
    const first = defaultEnclaveImage();
    first[first.length - 1]! ^= 0xff;
    const second = defaultEnclaveImage();
    expect(second).not.toEqual(first);
    expect(defaultEnclaveImage()).toEqual(second);
    const app = loadEnclaveApp(parseEif(second));
    const onDisk = readFileSync(fileURLToPath(new URL('../../src/enclave/default-app/main.js', import.meta.url)), 'utf8');
    expect(app.entry).toBe('main.js');
    expect(app.source).toBe(onDisk);
    expect(readEif(second).metadata?.ImageName).toBe('nitro-emu-default-app');
  });

  it('reads a folder recursively and sorted, follows a cmd file, skips symlinks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nitro-emu-app-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'b.js'), 'b');
    writeFileSync(join(dir, 'a.js'), 'a');
    writeFileSync(join(dir, 'start.js'), 'start');
    symlinkSync(join(dir, 'a.js'), join(dir, 'link.js'));
    let folder = readAppFolder(dir);
    expect(folder.entry).toBe('main.js');
    expect(folder.files.map((f) => f.path)).toEqual(['a.js', 'start.js', 'sub/b.js']);
    writeFileSync(join(dir, 'cmd'), 'start.js\n');
    folder = readAppFolder(dir);
    expect(folder.entry).toBe('start.js');
    expect(loadEnclaveApp(buildEnclaveImage({ appFiles: folder.files, entry: folder.entry })).source).toBe('start');
    expectCode(() => readAppFolder(join(dir, 'missing')), 'ENCLAVE_APP_FOLDER_UNREADABLE');
  });
});
