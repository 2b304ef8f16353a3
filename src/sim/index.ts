export { Simulator, DEFAULT_EPOCH_MS, NS_PER_MS, type SimulatorOptions, type RunLimits } from './simulator.ts';
export { Prng } from './prng.ts';
export { Faults, type FaultPlan, type FaultRate } from './faults.ts';
export { Trace, canonicalJson, type TraceEvent, type TraceValue, type LogSink } from './trace.ts';
export { AuditLog, type AuditEntry } from './audit.ts';
export { parseEpoch, wallClockMs } from './clock.ts';
export { Des, DES_PENDING_MAX, type DesHandler, type DesRunLimits } from './des.ts';
export { SYSTEM_WALL_CLOCK, manualWallClock, followWallClock, type WallClock } from './wall-clock.ts';
export { RealTimeDriver, REAL_TIME_TICK_MS, type RealTimeOptions } from './real-time.ts';
