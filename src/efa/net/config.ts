import { EmuError } from '../../errors.ts';
import type { FabricConfig } from '../contracts.ts';

const GBPS_MAX = 100_000;
const LATENCY_PS_MAX = 1_000_000_000_000; // 1 s: anything beyond is a unit mistake.
const BYTES_MAX = 1 << 30;

/** Rejects configurations that would make the model meaningless (zero rate, negative latency, tiny buffers). */
export function validateFabricConfig(config: FabricConfig): void {
  const bad = (field: string, why: string) => new EmuError('EFA_BAD_CONFIG', `${field} ${why}`, { [field]: (config as unknown as Record<string, unknown>)[field] });
  if (!(config.linkGbps > 0 && config.linkGbps <= GBPS_MAX)) throw bad('linkGbps', `must be in (0, ${GBPS_MAX}]`);
  for (const field of ['propagationPs', 'switchLatencyPs', 'nicLatencyPs'] as const) {
    const v = config[field];
    if (!Number.isSafeInteger(v) || v < 0 || v > LATENCY_PS_MAX) throw bad(field, 'must be an integer number of ps in [0, 1 s]');
  }
  for (const field of ['mtuPayloadBytes', 'headerBytes', 'ackBytes'] as const) {
    const v = config[field];
    if (!Number.isSafeInteger(v) || v < 1 || v > BYTES_MAX) throw bad(field, 'must be a positive integer');
  }
  if (!Number.isSafeInteger(config.bufferBytes) || config.bufferBytes < config.mtuPayloadBytes + config.headerBytes || config.bufferBytes > BYTES_MAX) {
    throw bad('bufferBytes', 'must hold at least one full packet');
  }
  if (!Number.isSafeInteger(config.seed) || config.seed < 0) throw bad('seed', 'must be a non-negative safe integer');
}
