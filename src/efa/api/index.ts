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
// The endpoint layer's own packet format, for taps and tests (names prefixed: the folder entry re-exports everything).
export {
  WIRE_HEADER_BYTES as ENDPOINT_HEADER_BYTES, PktType as EndpointPktType, PktFlag as EndpointPktFlag,
  RESP_CODES as ENDPOINT_RESP_CODES, encodePacket as encodeEndpointPacket, decodePacket as decodeEndpointPacket,
  type WirePacket as EndpointPacket, type WireFields as EndpointPacketFields,
} from './wire.ts';
export type { ResolvedLimits } from './core.ts';
