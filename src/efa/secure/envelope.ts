import type { PacketKind } from '../contracts.ts';

/**
 * What a sealed packet carries in the clear in place of the transport header: the 16-byte security header
 * (spi, epoch, context, counter) and the transport's own header, authenticated but readable (as SRD's header
 * sits outside the crypt offset). `hasPayload` says whether the ciphertext holds bytes or is a bare tag.
 */
export interface SealedHeader {
  readonly secureLink: 1;
  readonly spi: number;
  readonly epoch: number;
  readonly context: number;
  readonly counter: number;
  readonly hasPayload: boolean;
  readonly inner: unknown;
}

export function isSealedHeader(header: unknown): header is SealedHeader {
  if (typeof header !== 'object' || header === null) return false;
  const h = header as Record<string, unknown>;
  return (
    h['secureLink'] === 1 &&
    isUint(h['spi'], 0xffffffff) &&
    isUint(h['epoch'], 0xffff) &&
    isUint(h['context'], 0xffff) &&
    isUint(h['counter'], Number.MAX_SAFE_INTEGER) &&
    typeof h['hasPayload'] === 'boolean'
  );
}

function isUint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** 96-bit GCM nonce: epoch(16) ‖ context(16) ‖ counter(64), research/efa-srd.md §3.4. */
export function linkNonce(epoch: number, context: number, counter: number): Uint8Array {
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  view.setUint16(0, epoch);
  view.setUint16(2, context);
  view.setUint32(4, Math.floor(counter / 2 ** 32));
  view.setUint32(8, counter >>> 0);
  return nonce;
}

export const KIND_CODE: Readonly<Record<PacketKind, number>> = { data: 1, ack: 2 };
