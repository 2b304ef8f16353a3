// Setup and attack steps shared by the RB scenarios. Setup acts as the owner; attacks use only the attacker's handles.
import { toHex } from '../../../crypto/index.ts';
import { defaultEnclaveImage, loadEnclaveImage } from '../../../enclave/index.ts';
import type { ParentAdminHandle, ScenarioContext } from '../../define.ts';
import { collectStolen, EXFIL_PORT, tamperedImage } from '../parent-admin/tampered-image.ts';

/**
 * Release 0.9 of the customer's app, which the owner approved before 1.0: it shipped a diagnostics port that
 * hands out what the app decrypted (the reason 1.0 replaced it). The parent still has the old EIF.
 */
export function superseded09Image(): Uint8Array {
  return tamperedImage(defaultEnclaveImage());
}

export function pcr0Of(image: Uint8Array): string {
  return toHex(loadEnclaveImage(image).measurements.pcr0);
}

/** Launches `image` from the parent and, if it came up, reads the diagnostics port; each item goes to the loot. */
export async function launchAndDrain(ctx: ScenarioContext, pa: ParentAdminHandle, image: Uint8Array, label: string): Promise<number> {
  const launched = await pa.launchEnclave({ image });
  ctx.note(`${label}: ${launched.ready ? 'it got its key' : `it stopped (${launched.failure})`}`);
  if (!launched.ready) return 0;
  const items = await collectStolen(await pa.connectToEnclave(launched.record.cid, EXFIL_PORT));
  for (const [i, item] of items.entries()) ctx.loot(`diagnostics item ${i}`, item);
  ctx.note(`the diagnostics port handed over ${items.length} items`);
  return items.length;
}
