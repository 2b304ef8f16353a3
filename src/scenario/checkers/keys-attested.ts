import type { CheckVerdict } from '../define.ts';
import type { CheckInput } from './input.ts';

/**
 * INV-KEYS-ATTESTED over KMS's release record: to a recipient only for the approved image's PCR0,
 * in plaintext only to the owner (whose own GenerateDataKey envelope-encrypts the weights).
 */
export function checkKeysAttested(input: CheckInput): CheckVerdict[] {
  const { kms, approvedPcr0, arns } = input.world;
  const releases = kms.releases;
  const bad = releases.filter((release) => (release.via === 'recipient' ? release.pcr0 !== approvedPcr0 : release.caller !== arns.owner));
  return [
    {
      invariant: 'INV-KEYS-ATTESTED',
      held: bad.length === 0,
      detail:
        bad.length === 0
          ? `${releases.length} releases: to the approved image by recipient, or in plaintext to the owner only`
          : bad
              .slice(0, 5)
              .map((r) => `${r.operation} of key ${r.keyId} via ${r.via} to ${r.caller}${r.pcr0 !== undefined ? ` (PCR0 ${r.pcr0.slice(0, 12)}…)` : ''}`)
              .join('; '),
    },
  ];
}
