/** The principals of DESIGN.md §2. */
export const PRINCIPALS = [
  'operator',
  'parent-admin',
  'enclave',
  'device',
  'network',
  'co-tenant',
  'kms',
  'owner',
  'client',
] as const;

export type Principal = (typeof PRINCIPALS)[number];

/** The trusted computing base: the checker never scans these, as they legitimately hold secrets. */
export const TCB: ReadonlySet<Principal> = new Set<Principal>(['enclave', 'device', 'kms']);

export function isPrincipal(name: string): name is Principal {
  return (PRINCIPALS as readonly string[]).includes(name);
}
