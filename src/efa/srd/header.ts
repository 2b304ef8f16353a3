// SRD's own header fields, carried in Packet.header (our assumed format: AWS has not published SRD's header).

export const DROP_OK = 0;
export const DROP_RNR = 1;
export const DROP_BAD_QP = 2;
export const DROP_CODE_NAMES = ['OK', 'RNR', 'BAD_QP'] as const;

export interface SrdDataHeader {
  readonly t: 'srd-data';
  readonly psn: number;
  /** Sender's oldest unresolved PSN: everything below is settled, so the receiver's window may move past it. */
  readonly basePsn: number;
  readonly ev: number;
  readonly pathSeq: number;
  readonly txPs: number;
  readonly msgId: number;
  readonly offset: number;
  readonly length: number;
  readonly msgBytes: number;
}

export interface SrdAckHeader {
  readonly t: 'srd-ack';
  /** The PSN this ACK is for (selective). */
  readonly psn: number;
  /** Every PSN below this was received and accepted (or settled by the sender). */
  readonly cumPsn: number;
  /** Echo of the acknowledged transmission: its EV, per-path sequence and send time. */
  readonly ev: number;
  readonly pathSeq: number;
  readonly txPs: number;
  readonly drop: number;
}

/** Entropy values fit the outer header's 16-bit field (our assumption; SRD uses at most 64 per context). */
export const EV_FIELD_MAX = 0xffff;

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isEv(value: unknown): value is number {
  return isNonNegativeInt(value) && value <= EV_FIELD_MAX;
}

export function isDataHeader(header: unknown): header is SrdDataHeader {
  if (typeof header !== 'object' || header === null) return false;
  const h = header as Record<string, unknown>;
  return (
    h.t === 'srd-data' &&
    isNonNegativeInt(h.psn) &&
    isNonNegativeInt(h.basePsn) &&
    isEv(h.ev) &&
    isNonNegativeInt(h.pathSeq) &&
    isNonNegativeInt(h.txPs) &&
    typeof h.msgId === 'number' &&
    Number.isSafeInteger(h.msgId) &&
    isNonNegativeInt(h.offset) &&
    isNonNegativeInt(h.length) &&
    isNonNegativeInt(h.msgBytes)
  );
}

export function isAckHeader(header: unknown): header is SrdAckHeader {
  if (typeof header !== 'object' || header === null) return false;
  const h = header as Record<string, unknown>;
  return (
    h.t === 'srd-ack' &&
    isNonNegativeInt(h.psn) &&
    isNonNegativeInt(h.cumPsn) &&
    isEv(h.ev) &&
    isNonNegativeInt(h.pathSeq) &&
    isNonNegativeInt(h.txPs) &&
    (h.drop === DROP_OK || h.drop === DROP_RNR || h.drop === DROP_BAD_QP)
  );
}
