// The libfabric-shaped endpoint API over the emulated EFA fabric (research/efa-srd.md §2).
export * from './types.ts';
export {
  RAW_ADDRESS_BYTES, encodeRawAddress, decodeRawAddress, AddressVector, type EndpointName,
} from './address.ts';
export { CompletionQueue } from './cq.ts';
export { type MemoryRegion, MRS_PER_ENDPOINT_MAX } from './mr.ts';
export { ReorderWindow, type WindowPlace } from './reorder.ts';
export { Endpoint } from './endpoint.ts';
export { createDomain, type Domain, type DomainOptions } from './domain.ts';
export { WIRE_HEADER_BYTES, PktType, PktFlag, RESP_CODES, encodePacket, decodePacket, type WirePacket, type WireFields } from './wire.ts';
export type { ResolvedLimits } from './core.ts';
