import { benchAttestationIssue, benchAttestationVerify } from './attestation.ts';
import { benchKmsAttestedDecrypt } from './kms.ts';
import type { BenchResult } from './types.ts';

export type { BenchResult } from './types.ts';

export const BENCHMARKS: ReadonlyArray<{ readonly name: string; readonly run: (budgetMs: number) => BenchResult }> = [
  { name: 'attestation-issue', run: benchAttestationIssue },
  { name: 'attestation-verify', run: benchAttestationVerify },
  { name: 'kms-attested-decrypt', run: benchKmsAttestedDecrypt },
];
