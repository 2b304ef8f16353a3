import type { RandomSource } from '../crypto/index.ts';
import type { Simulator } from '../sim/index.ts';
import type { KeyStore } from './keys.ts';
import type { CallerIdentity } from './principal.ts';
import type { RecipientGate } from './recipient.ts';
import type { KeyRelease } from './types.ts';

/** Everything one operation handler may use. Handlers change state only in their last, infallible steps. */
export interface OperationContext {
  readonly sim: Simulator;
  readonly keys: KeyStore;
  readonly recipients: RecipientGate;
  readonly caller: CallerIdentity;
  readonly random: {
    readonly dataKeys: RandomSource;
    readonly keyPairs: RandomSource;
    readonly envelopes: RandomSource;
    readonly generated: RandomSource;
  };
  /** Marks which key the call is about, for the audit and trace entries. */
  target(keyId: string): void;
  /** Appends to the release record; called only after the material has been produced. */
  recordRelease(release: Omit<KeyRelease, 'timeMs' | 'caller'>): void;
}
