import { pino, type Logger } from 'pino';
import { Sha256Stream } from '../crypto/index.ts';

export type TraceValue = string | number | boolean | null | readonly TraceValue[] | { readonly [k: string]: TraceValue };

export interface TraceEvent {
  readonly timeNs: number;
  readonly seq: number;
  readonly kind: string;
  readonly fields: Readonly<Record<string, TraceValue>>;
}

export type LogSink = 'silent' | 'stderr' | { write(line: string): void };

/**
 * The trace is the run's memory: every event is kept (bounded), folded into a SHA-256 digest
 * over canonical JSON, and logged through pino stamped with virtual time (never wall time, pid or host).
 */
export class Trace {
  readonly eventsMax: number;
  readonly events: TraceEvent[] = [];
  readonly logger: Logger;
  #digest = new Sha256Stream();
  #dropped = 0;
  #count = 0;

  constructor(options: { eventsMax: number; sink: LogSink; nowNs: () => number; level?: string }) {
    this.eventsMax = options.eventsMax;
    const { sink, nowNs } = options;
    const destination =
      sink === 'silent' ? { write: () => undefined } : sink === 'stderr' ? pino.destination({ fd: 2, sync: true }) : sink;
    this.logger = pino(
      {
        base: null,
        level: sink === 'silent' ? 'silent' : (options.level ?? 'info'),
        timestamp: () => `,"vt":${nowNs()}`,
        messageKey: 'msg',
      },
      destination,
    );
  }

  get count(): number {
    return this.#count;
  }

  get dropped(): number {
    return this.#dropped;
  }

  record(event: TraceEvent): void {
    this.#count++;
    this.#digest.update(canonicalJson(event) + '\n');
    if (this.events.length < this.eventsMax) this.events.push(event);
    else this.#dropped++;
    this.logger.info({ kind: event.kind, ...event.fields }, event.kind);
  }

  digestHex(): string {
    return this.#digest.peekHex();
  }
}

/** JSON with object keys sorted, so equal values always give equal bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in trace');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
