import type { Scenario } from '../define.ts';
import { scenarios as coTenant } from './co-tenant.ts';
import { scenarios as device } from './device.ts';
import { scenarios as keyPolicy } from './key-policy.ts';
import { scenarios as network } from './network.ts';
import { scenarios as operator } from './operator.ts';
import { scenarios as parentAdmin } from './parent-admin.ts';
import { scenarios as physical } from './physical.ts';
import { scenarios as rollback } from './rollback.ts';

/** The whole catalogue (research/attacks.md §2), in catalogue order. */
export const CATALOGUE: readonly Scenario<any>[] = [
  ...operator,
  ...parentAdmin,
  ...coTenant,
  ...keyPolicy,
  ...rollback,
  ...physical,
  // The fabric group needs a Cluster (src/cluster); the accelerator group stays last.
  ...network,
  ...device,
];
