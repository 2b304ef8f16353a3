/**
 * Enclave images the way `nitro-cli build-enclave` lays them out, with emulated stand-ins for the
 * platform's blobs:
 *   Kernel     a fixed text instead of a bzImage
 *   Cmdline    nitro-cli's default kernel command line for x86_64
 *   ramdisk[0] the bootstrap: `init` and `nsm.ko` stand-ins           → PCR1 (with kernel and cmdline)
 *   ramdisk[1] the application: `rootfs/<files>`, `cmd`, `env`        → PCR2
 * The stand-ins never change by accident: PCR1 is pinned in the tests. Changing them is an ABI change:
 * bump ENCLAVE_RUNTIME_ABI_VERSION and re-pin.
 */
import { EmuError } from '../errors.ts';
import { fromUtf8, utf8 } from '../crypto/index.ts';
import { checkArchivePath, readCpio, writeCpio, type CpioFile } from './cpio.ts';
import { buildEif, readEif, type BuiltEif, type EifFile } from './eif.ts';
import { identityInfo } from './eif-metadata.ts';
import type { EifSigningInput } from './eif-signature.ts';

export const ENCLAVE_RUNTIME_ABI_VERSION = 1;

export const EMULATED_KERNEL: Uint8Array = utf8(`nitro-emu emulated kernel, ABI v${ENCLAVE_RUNTIME_ABI_VERSION}\n`);

/** nitro-cli's `blobs/x86_64/cmdline`. */
export const DEFAULT_KERNEL_CMDLINE =
  'reboot=k panic=30 pci=off nomodules console=ttyS0 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd random.trust_cpu=on';

const BOOTSTRAP_FILES: readonly CpioFile[] = [
  {
    path: 'init',
    data: utf8(
      'nitro-emu emulated stand-in for the enclave init binary: it mounts the application ramdisk, ' +
        `reads cmd and env and starts the application.\nruntime ABI v${ENCLAVE_RUNTIME_ABI_VERSION}\n`,
    ),
  },
  {
    path: 'nsm.ko',
    data: utf8(
      'nitro-emu emulated stand-in for the nsm.ko driver: the NSM device is provided by the emulator.\n' +
        `runtime ABI v${ENCLAVE_RUNTIME_ABI_VERSION}\n`,
    ),
  },
];

export function bootstrapRamdisk(): Uint8Array {
  return writeCpio(BOOTSTRAP_FILES);
}

export interface AppFile {
  readonly path: string;
  readonly data: Uint8Array;
}

const APP_ROOT = 'rootfs';
export const APP_FILES_MAX = 4096;

/** The application ramdisk as nitro-cli's docker conversion makes it: the filesystem under `rootfs/`, plus `cmd` and `env`. */
export function appRamdisk(appFiles: readonly AppFile[], entry: string): Uint8Array {
  if (appFiles.length > APP_FILES_MAX) throw new EmuError('ENCLAVE_IMAGE_TOO_MANY_FILES', `${appFiles.length} files, over ${APP_FILES_MAX}`);
  for (const file of appFiles) checkArchivePath(file.path);
  if (!appFiles.some((f) => f.path === entry)) {
    throw new EmuError('ENCLAVE_IMAGE_BAD_ENTRY', `the entry ${JSON.stringify(entry)} is not one of the application files`);
  }
  return writeCpio([
    ...appFiles.map((f) => ({ path: `${APP_ROOT}/${f.path}`, data: f.data })),
    { path: 'cmd', data: utf8(entry) },
    { path: 'env', data: new Uint8Array(0) },
  ]);
}

export interface BuildEnclaveImageOptions {
  readonly appFiles: readonly AppFile[];
  readonly entry: string;
  readonly name?: string;
  readonly version?: string;
  /** User metadata (nitro-cli `--metadata`): a JSON object, stored as CustomMetadata. */
  readonly metadata?: unknown;
  readonly signing?: EifSigningInput;
  /** Goes into BuildMetadata.BuildTime; default 0 (the Unix epoch), never the clock. */
  readonly buildTimeMs?: number;
}

export const DEFAULT_IMAGE_NAME = 'enclave-app';
export const DEFAULT_IMAGE_VERSION = '1.0';

export function buildEnclaveImageWithMeasurements(options: BuildEnclaveImageOptions): BuiltEif {
  return buildEif({
    kernel: EMULATED_KERNEL,
    cmdline: utf8(DEFAULT_KERNEL_CMDLINE),
    ramdisks: [bootstrapRamdisk(), appRamdisk(options.appFiles, options.entry)],
    metadata: identityInfo({
      name: options.name ?? DEFAULT_IMAGE_NAME,
      version: options.version ?? DEFAULT_IMAGE_VERSION,
      ...(options.buildTimeMs === undefined ? {} : { buildTimeMs: options.buildTimeMs }),
      custom: options.metadata,
    }),
    ...(options.signing === undefined ? {} : { signing: options.signing }),
  });
}

export function buildEnclaveImage(options: BuildEnclaveImageOptions): Uint8Array {
  return buildEnclaveImageWithMeasurements(options).bytes;
}

export interface EnclaveApp {
  /** Path of the entry file, relative to the application root (the contents of `cmd`). */
  readonly entry: string;
  /** The entry file decoded as UTF-8: what the realm runs. */
  readonly source: string;
  /** Every application file, keyed by its path relative to the application root. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/**
 * The application inside an image, read from the measured ramdisks (ramdisk[1..]): what an enclave
 * runtime executes. Pass the result of `parseEif` to be sure the bytes are intact.
 */
export function loadEnclaveApp(eif: EifFile | Uint8Array): EnclaveApp {
  const image = eif instanceof Uint8Array ? readEif(eif) : eif;
  const files = new Map<string, Uint8Array>();
  let cmd: Uint8Array | undefined;
  for (const ramdisk of image.ramdisks.slice(1)) {
    for (const entry of readCpio(ramdisk)) {
      if (entry.kind !== 'file') continue;
      if (entry.path === 'cmd') cmd = entry.data;
      else if (entry.path.startsWith(`${APP_ROOT}/`)) {
        const path = entry.path.slice(APP_ROOT.length + 1);
        if (files.has(path)) throw new EmuError('ENCLAVE_IMAGE_BAD_APP', `${path} appears in two ramdisks`);
        files.set(path, entry.data);
      }
    }
  }
  if (cmd === undefined) throw new EmuError('ENCLAVE_IMAGE_BAD_APP', 'the image has no application (no cmd file)');
  let entry: string;
  let source: string;
  try {
    entry = fromUtf8(cmd);
    const data = files.get(entry);
    if (data === undefined) throw new EmuError('ENCLAVE_IMAGE_BAD_APP', `cmd names ${JSON.stringify(entry)}, which is not in the image`);
    source = fromUtf8(data);
  } catch (error) {
    if (error instanceof EmuError) throw error;
    throw new EmuError('ENCLAVE_IMAGE_BAD_APP', 'the entry name or source is not UTF-8');
  }
  return { entry, source, files };
}
