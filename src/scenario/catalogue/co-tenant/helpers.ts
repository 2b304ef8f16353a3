// What another customer on the same host can do. Shared by the CT scenarios; attack code goes only through the
// co-tenant handle or a capability its scenario's setup handed over.
import { fromUtf8, utf8 } from '../../../crypto/index.ts';
import { buildEnclaveImage, loadEnclaveApp } from '../../../enclave/index.ts';
import type { CoTenantHandle, ScenarioContext } from '../../define.ts';

export function coTenant(ctx: ScenarioContext): CoTenantHandle {
  const handle = ctx.attacker['co-tenant'];
  if (handle === undefined) throw new Error('this scenario needs the co-tenant handle');
  return handle;
}

/**
 * The co-tenant's own workload image: the same application code as ours (it is public), tagged as another
 * team's build. One changed byte is enough for another PCR0.
 */
export function coTenantImage(approvedImage: Uint8Array): Uint8Array {
  const app = loadEnclaveApp(approvedImage);
  const files = [...app.files.entries()].map(([path, data]) =>
    path === app.entry ? { path, data: utf8(`${fromUtf8(data)}\n// build: co-tenant team, own release\n`) } : { path, data },
  );
  return buildEnclaveImage({ appFiles: files, entry: app.entry, name: 'co-tenant-app', version: '1.0' });
}
