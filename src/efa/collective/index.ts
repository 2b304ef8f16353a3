// Collectives over the libfabric-shaped endpoints.
export { ringChunks, ringAllReduceReference, type ChunkRange } from './reference.ts';
export {
  startRingAllReduce, runRingAllReduce, RING_RANKS_MAX, RING_ELEMENTS_MAX,
  type RingAllReduce, type RingAllReduceOptions, type RankReport, type AllReduceResult,
} from './ring.ts';
