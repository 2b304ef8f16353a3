/** Counters of one host's SRD engine (Transport.stats()). */
export interface SrdCounters {
  messagesPosted: number;
  messagesCompleted: number;
  messagesFailed: number;
  dataPacketsSent: number;
  retransmissions: number;
  timeouts: number;
  gapLosses: number;
  pathsQuarantined: number;
  rateCuts: number;
  remoteUnresponsive: number;
  windowStalls: number;
  bytesAcked: number;
  acksSent: number;
  acksReceived: number;
  packetsDelivered: number;
  bytesDelivered: number;
  duplicatesReceived: number;
  outOfWindow: number;
  droppedRnr: number;
  droppedBadQp: number;
  protectorDrops: number;
  corruptDrops: number;
  malformed: number;
  strayAcks: number;
}

export function newCounters(): SrdCounters {
  return {
    messagesPosted: 0,
    messagesCompleted: 0,
    messagesFailed: 0,
    dataPacketsSent: 0,
    retransmissions: 0,
    timeouts: 0,
    gapLosses: 0,
    pathsQuarantined: 0,
    rateCuts: 0,
    remoteUnresponsive: 0,
    windowStalls: 0,
    bytesAcked: 0,
    acksSent: 0,
    acksReceived: 0,
    packetsDelivered: 0,
    bytesDelivered: 0,
    duplicatesReceived: 0,
    outOfWindow: 0,
    droppedRnr: 0,
    droppedBadQp: 0,
    protectorDrops: 0,
    corruptDrops: 0,
    malformed: 0,
    strayAcks: 0,
  };
}
