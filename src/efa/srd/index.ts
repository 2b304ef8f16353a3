// SRD in the NIC (research/efa-srd.md §5.3–5.4).
import type { Fabric, HostId, Transport } from '../contracts.ts';
import type { SrdOptions } from './options.ts';
import { buildSrdTransport } from './transport.ts';

export type { SrdOptions, SrdAdmission } from './options.ts';
export type { SrdDataHeader, SrdAckHeader } from './header.ts';
export * as SRD_CONSTANTS from './constants.ts';

export function createSrdTransport(fabric: Fabric, host: HostId, options?: SrdOptions): Transport {
  return buildSrdTransport(fabric, host, options);
}
