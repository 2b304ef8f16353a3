// The libfabric-shaped endpoint API over the emulated EFA fabric (research/efa-srd.md §2).
//
// createDomain({ fabric, transportFor }) → domain.endpoint({ host, mode: 'efa' | 'efa-direct' }) → ep.av.insert(peer
// getname()) → ep.send/senddata/tsend/recv/trecv/write/read → ep.cq.read()/readerr(). One endpoint-layer packet
// (64-byte header + ≤ MTU − 64 data; an efa-direct send of a full MTU is the one exception) is one Transport
// message. Every message and RMA is answered by its receiver (RESP: OK, RNR, window error, BAD_QP…), so a send
// completes only once the receiver took it, and every drop reaches the sender as an error completion.
//
// What is simplified against the real provider (fi_efa(7), protocol v4):
// - Protocols: eager (one packet), medium (≤ 64 KiB, all segments at once), long-CTS (two receiver-granted windows
//   kept ahead) and long-read (≥ 1 MiB: the sender exposes the buffer under a random remote-read key, the receiver
//   RDMA-reads it, the region closes when the send completes). Not implemented: runting read, the handshake
//   packet, atomics, multi-recv, FI_MSG_PREFIX/DGRAM, FI_DELIVERY_COMPLETE as a separate mode (every send
//   completes on the receiver's answer).
// - A medium message is matched when all its segments are in (the provider matches on the first one).
// - The sender keeps ≤ recvWindowSize messages unanswered per peer, so a healthy receiver never sees one outside
//   its window; the window error of the man page is reachable with `senderWindowLimit: false`. A msg_id the
//   transport gave up on is skipped with a SKIP packet (the provider's newer "skip" mechanism).
// - RNR is an immediate error (no rnr_retry backoff). On 'efa', unmatched messages wait in a bounded unexpected
//   buffer first (default 64); efa-direct has none.
// - Progress is automatic in both modes (events on the fabric clock); `cq.setWaitHandler` plays the wait object.
//   One CQ per endpoint for sends and receives; errors are a separate FIFO (readerr) instead of -FI_EAVAIL.
// - RMA addresses are offsets in the region (no FI_MR_VIRT_ADDR), u32-bounded; no writedata.
// - Same-host traffic loops back inside the domain at the current instant (the shm provider's role).
export * from './types.ts';
export {
  RAW_ADDRESS_BYTES, encodeRawAddress, decodeRawAddress, AddressVector, type EndpointName,
} from './address.ts';
export { CompletionQueue } from './cq.ts';
export { type MemoryRegion, MRS_PER_ENDPOINT_MAX } from './mr.ts';
export { ReorderWindow, type WindowPlace } from './reorder.ts';
export { Endpoint } from './endpoint.ts';
export { createDomain, type Admission, type Domain, type DomainOptions } from './domain.ts';
// The endpoint layer's own packet format, for taps and tests (names prefixed: the folder entry re-exports everything).
export {
  WIRE_HEADER_BYTES as ENDPOINT_HEADER_BYTES, PktType as EndpointPktType, PktFlag as EndpointPktFlag,
  RESP_CODES as ENDPOINT_RESP_CODES, encodePacket as encodeEndpointPacket, decodePacket as decodeEndpointPacket,
  type WirePacket as EndpointPacket, type WireFields as EndpointPacketFields,
} from './wire.ts';
export type { ResolvedLimits } from './core.ts';
