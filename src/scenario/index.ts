export { PRINCIPALS, TCB, isPrincipal, type Principal } from './principals.ts';
export { CanarySet, CANARY_BYTES_MIN, type Canary, type CanaryEncoding } from './canary.ts';
export { Ledger, LEDGER_INLINE_BYTES_MAX, type Observation, type PrincipalSummary } from './ledger.ts';
export { findLeaks, type Leak } from './leak-check.ts';
