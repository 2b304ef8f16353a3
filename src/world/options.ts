import { NITRO_DEFENCES, type HypervisorDefences } from '../hypervisor/index.ts';
import type { FaultPlan, LogSink } from '../sim/index.ts';

/** Every defence of the world, each with a switch (DESIGN.md: negative controls). */
export interface WorldDefences extends HypervisorDefences {
  /** The model key's policy releases it only to the approved image's PCR0. Off: the parent's role may Decrypt. */
  readonly attestedKeyPolicy: boolean;
}

export const ALL_DEFENCES: WorldDefences = Object.freeze({ ...NITRO_DEFENCES, attestedKeyPolicy: true });

export const DEFENCE_NAMES = Object.keys(ALL_DEFENCES) as ReadonlyArray<keyof WorldDefences>;

export interface WorldOptions {
  readonly seed: number;
  readonly epochMs?: number;
  readonly defences?: Partial<WorldDefences>;
  readonly faultPlan?: FaultPlan;
  readonly log?: LogSink;
  readonly region?: string;
  readonly accountId?: string;
  /** Launch the enclave in debug mode (PCR0/1/2/8 read as zero; the console is readable). */
  readonly debugMode?: boolean;
  /** An image other than the default one (e.g. a modified app); the key policy still names the default image. */
  readonly enclaveImage?: Uint8Array;
}

export const ACCOUNT_ID = '111122223333';

export function arns(accountId: string) {
  return {
    owner: `arn:aws:iam::${accountId}:user/model-owner`,
    parentRole: `arn:aws:iam::${accountId}:role/inference-parent-role`,
  };
}
