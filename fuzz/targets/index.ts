import type { FuzzTarget } from '../types.ts';
import { attestationDoc, cms, weightFrames, x509Chain } from './crypto.ts';
import { bounceBuffer, spdm } from './device.ts';
import { eif, nsmRequest } from './enclave.ts';
import { fabricPacket } from './fabric.ts';
import { keyPolicy, kmsRequest, kmsState } from './kms.ts';
import { scenarioYaml } from './scenario.ts';

/** Every target, in the order; the names are a contract (`--only`, the --json report). */
export const TARGETS: readonly FuzzTarget[] = [
  attestationDoc,
  nsmRequest,
  x509Chain,
  cms,
  kmsRequest,
  keyPolicy,
  eif,
  spdm,
  bounceBuffer,
  fabricPacket,
  scenarioYaml,
  kmsState,
  weightFrames,
];
