import { EmuError } from '../../errors.ts';
import type { DeliveredSegment, Fabric, HostId, Packet, Transport } from '../contracts.ts';
import { CRYPTO_OVERHEAD_BYTES, ENTROPY_VALUES_DEFAULT, ENTROPY_VALUES_MAX, MESSAGE_BYTES_MAX } from './constants.ts';
import { eventPort } from './events.ts';
import { DROP_BAD_QP, DROP_OK, DROP_RNR, isAckHeader, isDataHeader, type SrdAckHeader, type SrdDataHeader } from './header.ts';
import { RX_DUPLICATE, RX_NEW, RxWindow } from './receiver.ts';
import { SrdSender, type SenderShared, type TxEntry } from './sender.ts';
import { newCounters } from './stats.ts';
import type { SrdOptions, SrdAdmission } from './options.ts';

const DROP_BY_ADMISSION: Record<SrdAdmission, number> = { OK: DROP_OK, RNR: DROP_RNR, BAD_QP: DROP_BAD_QP };

/** Base RTT from the configuration (data one way + ACK back, store-and-forward), before any sample exists. */
function baseRttGuessPs(fabric: Fabric, dataWire: number, ackWire: number): number {
  const c = fabric.config;
  const hops = c.topology.kind === 'fat-tree' ? 6 : 4;
  const psPerByte = 8000 / c.linkGbps;
  const fixed = 2 * c.nicLatencyPs + hops * c.propagationPs + (hops - 1) * c.switchLatencyPs;
  return 2 * fixed + hops * (dataWire + ackWire) * psPerByte;
}

export function buildSrdTransport(fabric: Fabric, host: HostId, options: SrdOptions = {}): Transport {
  if (!Number.isSafeInteger(host) || host < 0 || host >= fabric.hostCount) {
    throw new EmuError('EFA_BAD_HOST', `host ${host} is not on this fabric`, { host });
  }
  const entropyValues = options.entropyValues ?? ENTROPY_VALUES_DEFAULT;
  if (!Number.isSafeInteger(entropyValues) || entropyValues < 1 || entropyValues > ENTROPY_VALUES_MAX) {
    throw new EmuError('EFA_BAD_OPTION', `entropyValues must be an integer in 1..${ENTROPY_VALUES_MAX}`, { entropyValues });
  }
  const config = fabric.config;
  const counters = newCounters();
  const port = eventPort(fabric);
  const protector = options.protector;
  const dataOverheadBytes = Math.max(1, config.headerBytes - CRYPTO_OVERHEAD_BYTES);
  const ackWire = Math.max(1, config.ackBytes - CRYPTO_OVERHEAD_BYTES);
  const senders: (SrdSender | undefined)[] = new Array(fabric.hostCount).fill(undefined);
  const receivers: (RxWindow | undefined)[] = new Array(fabric.hostCount).fill(undefined);
  const deliverHandlers: ((segment: DeliveredSegment) => void)[] = [];

  const rtoHandler = port.register((arg, num) => {
    const entry = arg as TxEntry;
    senders[entry.msg.dst]!.onTimeout(entry, num);
  });
  const wakeHandler = port.register((arg, num) => {
    const sender = arg as SrdSender;
    if (sender.wakeAtPs === num) sender.wakeAtPs = -1;
    sender.pump();
  });
  const shared: SenderShared = {
    fabric,
    host,
    port,
    rtoHandler,
    wakeHandler,
    protector,
    counters,
    entropyValues,
    congestionControl: options.congestionControl ?? true,
    rerouteOnRetransmit: options.rerouteOnRetransmit ?? true,
    pathGapDetector: options.pathGapDetector ?? true,
    mtuBytes: config.mtuPayloadBytes,
    dataOverheadBytes,
    sealBytes: protector === undefined ? 0 : CRYPTO_OVERHEAD_BYTES,
    baseRttGuessPs: baseRttGuessPs(fabric, config.mtuPayloadBytes + config.headerBytes, config.ackBytes),
  };

  const sendAck = (to: HostId, h: SrdDataHeader, rx: RxWindow, drop: number) => {
    const header: SrdAckHeader = { t: 'srd-ack', psn: h.psn, cumPsn: rx.advertisedCumPsn(), ev: h.ev, pathSeq: h.pathSeq, txPs: h.txPs, drop };
    let packet: Packet = { src: host, dst: to, entropy: h.ev, kind: 'ack', wireBytes: ackWire, header };
    if (protector !== undefined) packet = protector.seal(packet);
    counters.acksSent++;
    fabric.send(packet);
  };

  const onData = (packet: Packet, h: SrdDataHeader) => {
    const payload = packet.payload;
    if (h.offset + h.length > h.msgBytes || (payload !== undefined && payload.length !== h.length)) {
      counters.malformed++;
      return;
    }
    let rx = receivers[packet.src];
    if (rx === undefined) {
      rx = new RxWindow();
      receivers[packet.src] = rx;
    }
    rx.settle(h.basePsn);
    const verdict = rx.classify(h.psn);
    if (verdict === RX_DUPLICATE) {
      counters.duplicatesReceived++;
      sendAck(packet.src, h, rx, rx.dropCodeOf(h.psn));
      return;
    }
    if (verdict !== RX_NEW) {
      counters.outOfWindow++;
      return;
    }
    const segment: DeliveredSegment = {
      src: packet.src,
      messageId: h.msgId,
      offset: h.offset,
      length: h.length,
      messageBytes: h.msgBytes,
      ...(payload !== undefined ? { payload } : {}),
      atPs: fabric.now,
    };
    // The endpoint layer's admission hook may refuse (no posted receive: RNR; unknown QP: BAD_QP).
    const admission: SrdAdmission = options.admit?.(segment) ?? 'OK';
    const drop = DROP_BY_ADMISSION[admission];
    rx.record(h.psn, drop);
    if (drop === DROP_OK) {
      counters.packetsDelivered++;
      counters.bytesDelivered += h.length;
    } else if (drop === DROP_RNR) counters.droppedRnr++;
    else counters.droppedBadQp++;
    sendAck(packet.src, h, rx, drop);
    if (drop === DROP_OK) for (const handler of deliverHandlers) handler(segment);
  };

  fabric.attach(host, (raw) => {
    let packet: Packet | null = raw;
    if (protector !== undefined) {
      packet = protector.open(raw);
      if (packet === null) {
        counters.protectorDrops++;
        return;
      }
    }
    // Without link encryption the NIC's frame check still catches corruption: a drop, never a delivery.
    if (packet.corrupted === true) {
      counters.corruptDrops++;
      return;
    }
    const header = packet.header;
    if (packet.kind === 'data' && isDataHeader(header)) {
      onData(packet, header);
    } else if (packet.kind === 'ack' && isAckHeader(header)) {
      counters.acksReceived++;
      const sender = senders[packet.src];
      if (sender === undefined) counters.strayAcks++;
      else sender.onAck(header);
    } else {
      counters.malformed++;
    }
  });

  return {
    kind: 'srd',
    host,
    post(message) {
      const { id, dst, bytes, payload, onComplete } = message;
      if (!Number.isSafeInteger(dst) || dst < 0 || dst >= fabric.hostCount || dst === host) {
        throw new EmuError('EFA_BAD_MESSAGE', `destination ${dst} is not another host of this fabric`, { id, dst });
      }
      if (!Number.isSafeInteger(bytes) || bytes < 0) throw new EmuError('EFA_BAD_MESSAGE', 'bytes must be a non-negative integer', { id, bytes });
      if (payload !== undefined && payload.length !== bytes) {
        throw new EmuError('EFA_BAD_MESSAGE', 'payload length differs from bytes', { id, bytes, payloadBytes: payload.length });
      }
      if (!Number.isSafeInteger(id)) throw new EmuError('EFA_BAD_MESSAGE', 'message id must be a safe integer', { id });
      counters.messagesPosted++;
      const postedPs = fabric.now;
      if (bytes > MESSAGE_BYTES_MAX) {
        counters.messagesFailed++;
        // Asynchronous like every completion, so a caller never sees onComplete before post returns.
        fabric.schedule(postedPs, () => onComplete({ id, ok: false, code: 'MSG_TOO_LARGE', postedPs, completedPs: fabric.now }));
        return;
      }
      let sender = senders[dst];
      if (sender === undefined) {
        sender = new SrdSender(shared, dst);
        senders[dst] = sender;
      }
      sender.post({
        id,
        dst,
        bytes,
        payload,
        onComplete,
        postedPs,
        packetsTotal: Math.max(1, Math.ceil(bytes / config.mtuPayloadBytes)),
        packetsAcked: 0,
        packetsMade: 0,
        nextOffset: 0,
        done: false,
      });
    },
    onDeliver(handler) {
      deliverHandlers.push(handler);
    },
    stats() {
      let inflightBytes = 0;
      let penalties = 0;
      let rateGbps = 0;
      let inflightCapBytes = 0;
      for (const s of senders) {
        if (s === undefined) continue;
        inflightBytes += s.inflightBytes;
        penalties += s.paths.penalties;
        rateGbps += s.cc.rate * 8000;
        inflightCapBytes += s.cc.inflightCap;
      }
      // rateGbps / inflightCapBytes: sums over this host's contexts (one peer: that connection's CC state).
      return { ...counters, inflightBytes, pathPenalties: penalties, rateGbps, inflightCapBytes, ...(protector !== undefined ? prefixed(protector.stats()) : {}) };
    },
  };
}

function prefixed(stats: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) out[`protector.${k}`] = v;
  return out;
}
