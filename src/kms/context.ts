import type { RandomSource } from '../crypto/index.ts';
import type { Simulator } from '../sim/index.ts';
import type { GrantStore } from './grants.ts';
import type { KeyStore } from './keys.ts';
import type { CallerIdentity } from './principal.ts';
import type { RecipientGate } from './recipient.ts';
import type { KeyRelease, KmsDefences } from './types.ts';

/** Everything one operation handler may use. Handlers change state only in their last, infallible steps. */
export interface OperationContext {
  readonly sim: Simulator;
  readonly keys: KeyStore;
  readonly recipients: RecipientGate;
  readonly grants: GrantStore;
  readonly defences: KmsDefences;
  readonly caller: CallerIdentity;
  readonly random: {
    readonly dataKeys: RandomSource;
    readonly keyPairs: RandomSource;
    readonly envelopes: RandomSource;
    readonly generated: RandomSource;
  };
  /** Marks which key the call is about, for the audit and trace entries. */
  target(keyId: string): void;
  /** Marks that a grant, not the key policy, authorized this call (audited with the outcome). */
  authorizedByGrant(grantId: string): void;
  /** The grant noted by authorizedByGrant, if any. */
  readonly grantId: () => string | undefined;
  /** Appends to the release record; called only after the material has been produced. */
  recordRelease(release: Omit<KeyRelease, 'timeMs' | 'caller'>): void;
  /** The account this KMS belongs to. */
  readonly accountId: string;
}
