import { benchAttestationIssue, benchAttestationVerify } from './attestation.ts';
import { benchInferenceConfidentialVsPlain } from './inference.ts';
import { benchFabricEvents, benchFabricPermutation128 } from './fabric.ts';
import { benchKmsAttestedDecrypt } from './kms.ts';
import { benchKmsHttp } from './kms-http.ts';
import { benchScenarioRate } from './scenario.ts';
import { benchSwarmRate } from './swarm.ts';
import type { BenchResult } from './types.ts';
import { benchWeightLoadConfidential, benchWeightLoadRssOverhead } from './weight-load.ts';

export type { BenchResult } from './types.ts';

export const BENCHMARKS: ReadonlyArray<{ readonly name: string; readonly run: (budgetMs: number) => BenchResult | Promise<BenchResult> }> = [
  { name: 'attestation-issue', run: benchAttestationIssue },
  { name: 'attestation-verify', run: benchAttestationVerify },
  { name: 'kms-attested-decrypt', run: benchKmsAttestedDecrypt },
  { name: 'kms-http', run: benchKmsHttp },
  { name: 'scenario-rate', run: benchScenarioRate },
  { name: 'swarm-rate', run: benchSwarmRate },
  { name: 'weight-load-confidential', run: benchWeightLoadConfidential },
  { name: 'weight-load-rss-overhead', run: benchWeightLoadRssOverhead },
  { name: 'fabric-events', run: benchFabricEvents },
  { name: 'fabric-permutation-128', run: benchFabricPermutation128 },
  { name: 'inference-confidential-vs-plain', run: benchInferenceConfidentialVsPlain },
];
