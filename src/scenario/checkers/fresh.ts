import type { CheckVerdict } from '../define.ts';
import { DOCUMENT_MAX_AGE_MS } from '../../world/index.ts';
import type { CheckInput } from './input.ts';

/**
 * INV-FRESH over KMS's release record: no key released on a document older than the maximum age
 * when KMS used it, and no attestation nonce used for two releases.
 */
export function checkFresh(input: CheckInput): CheckVerdict[] {
  const attested = input.world.kms.releases.filter((r) => r.via === 'recipient');
  const problems: string[] = [];
  const nonces = new Map<string, number>();
  for (const release of attested) {
    if (release.documentTimeMs !== undefined && release.timeMs - release.documentTimeMs > DOCUMENT_MAX_AGE_MS) {
      problems.push(`${release.operation} of key ${release.keyId} on a document ${Math.round((release.timeMs - release.documentTimeMs) / 1000)} s old (max ${DOCUMENT_MAX_AGE_MS / 1000} s)`);
    }
    if (release.nonceHex !== undefined) {
      const uses = (nonces.get(release.nonceHex) ?? 0) + 1;
      nonces.set(release.nonceHex, uses);
      if (uses === 2) problems.push(`nonce ${release.nonceHex.slice(0, 16)}… used for more than one release`);
    }
  }
  return [
    {
      invariant: 'INV-FRESH',
      held: problems.length === 0,
      detail: problems.length === 0 ? `${attested.length} attested releases, all on fresh documents with single-use nonces` : problems.slice(0, 5).join('; '),
    },
  ];
}
