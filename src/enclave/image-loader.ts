import { parseEif } from './eif.ts';
import { loadEnclaveApp } from './image.ts';

/** What the platform needs from an image to boot it: its measurements and the application in it. */
export interface LoadedEnclaveImage {
  readonly measurements: {
    readonly pcr0: Uint8Array;
    readonly pcr1: Uint8Array;
    readonly pcr2: Uint8Array;
    readonly pcr8: Uint8Array | null;
  };
  readonly appFiles: ReadonlyMap<string, Uint8Array>;
  readonly entry: string;
  readonly imageName: string | undefined;
}

/** Strict: a damaged CRC or a bad signature refuses to boot (EIF_* errors) rather than booting something else. */
export function loadEnclaveImage(bytes: Uint8Array): LoadedEnclaveImage {
  const eif = parseEif(bytes);
  const app = loadEnclaveApp(eif);
  return {
    measurements: {
      pcr0: eif.measurements.pcr0,
      pcr1: eif.measurements.pcr1,
      pcr2: eif.measurements.pcr2,
      pcr8: eif.measurements.pcr8 ?? null,
    },
    appFiles: app.files,
    entry: app.entry,
    imageName: eif.metadata?.ImageName,
  };
}
