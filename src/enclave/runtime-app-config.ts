/**
 * The default app's defence switches live in its measured image (`defences.json` next to `main.js`), so a
 * weaker app is a different image with a different PCR0: a world whose owner approves that image runs it
 * knowingly (negative controls), and no one can weaken an approved image without changing its measurement.
 * The all-on config is the file committed in `default-app/`, so the all-on image is `defaultEnclaveImage()`.
 */
import { fileURLToPath } from 'node:url';
import { EmuError } from '../errors.ts';
import { sha256Hex, utf8 } from '../crypto/index.ts';
import { defaultEnclaveImage, readAppFolder } from './app-folder.ts';
import { buildEnclaveImage, type AppFile } from './image.ts';

export interface AppDefences {
  readonly kmsChannelPinned: boolean;
  readonly appEntropyFromNsm: boolean;
  readonly appAuthenticatesInputs: boolean;
  readonly appLogHygiene: boolean;
  readonly sealedStateVersioned: boolean;
  /** Weights and activations cross to an accelerator only encrypted, to an attested device in confidential mode. Off: the plain path (CC off). */
  readonly deviceConfidentialPath: boolean;
}

export const APP_DEFENCE_NAMES: readonly (keyof AppDefences)[] = Object.freeze([
  'kmsChannelPinned',
  'appEntropyFromNsm',
  'appAuthenticatesInputs',
  'appLogHygiene',
  'sealedStateVersioned',
  'deviceConfidentialPath',
]);

export const ALL_APP_DEFENCES: AppDefences = Object.freeze({
  kmsChannelPinned: true,
  appEntropyFromNsm: true,
  appAuthenticatesInputs: true,
  appLogHygiene: true,
  sealedStateVersioned: true,
  deviceConfidentialPath: true,
});

export const APP_CONFIG_FILE = 'defences.json';
/** The pinned root of the emulated web PKI that KMS's certificate chains to (PEM, in the measured image). */
export const APP_KMS_ROOT_FILE = 'kms-root.pem';

/** The app switches picked out of any larger defence record. */
export function pickAppDefences(defences: AppDefences): AppDefences {
  const out: Record<string, boolean> = {};
  for (const name of APP_DEFENCE_NAMES) out[name] = defences[name];
  return out as unknown as AppDefences;
}

/** Canonical bytes of the config file: fixed key order, two-space JSON, one trailing newline. */
export function appConfigBytes(defences: AppDefences): Uint8Array {
  const ordered: Record<string, boolean> = {};
  for (const name of APP_DEFENCE_NAMES) {
    if (typeof defences[name] !== 'boolean') throw new EmuError('APP_CONFIG_BAD', `${name} must be a boolean`);
    ordered[name] = defences[name];
  }
  return utf8(`${JSON.stringify(ordered, null, 2)}\n`);
}

const cache = new Map<string, Uint8Array>();

/**
 * The default app with this config: a different image (and PCR0) per combination of switches, built once per process.
 * `replacedFiles` swap other measured files (e.g. a weaker `device-policy.json` for a negative control); each
 * replacement must name a file the app already has.
 */
export function enclaveImageForAppDefences(defences: AppDefences, replacedFiles: readonly AppFile[] = []): Uint8Array {
  const config = appConfigBytes(defences);
  const replaced = new Map(replacedFiles.map((f) => [f.path, f.data] as const));
  const key = [APP_DEFENCE_NAMES.map((n) => (defences[n] ? '1' : '0')).join(''), ...[...replaced].map(([p, d]) => `${p}:${sha256Hex(d)}`).sort()].join('|');
  if (!key.includes('0') && replaced.size === 0) return defaultEnclaveImage();
  let image = cache.get(key);
  if (image === undefined) {
    const folder = readAppFolder(fileURLToPath(new URL('./default-app/', import.meta.url)));
    for (const path of replaced.keys()) {
      if (!folder.files.some((f) => f.path === path)) throw new EmuError('APP_CONFIG_BAD', `the default app has no ${path} to replace`);
    }
    const files = folder.files.map((f) => (f.path === APP_CONFIG_FILE ? { path: f.path, data: config } : { path: f.path, data: replaced.get(f.path) ?? f.data }));
    image = buildEnclaveImage({ appFiles: files, entry: folder.entry, name: 'nitro-emu-default-app', version: '1.0' });
    cache.set(key, image);
  }
  return image.slice();
}
