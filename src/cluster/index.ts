// A multi-host world: hosts with enclaves and attested accelerators joined by an encrypted EFA fabric.
export type * from './types.ts';
export { CLUSTER_HOSTS_MIN, CLUSTER_HOSTS_MAX } from './types.ts';
