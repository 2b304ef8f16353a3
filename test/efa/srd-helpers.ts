import type { DeliveredSegment, FabricConfig, TransferCompletion, Transport } from '../../src/efa/contracts.ts';
import { createFabric, DEFAULT_FABRIC_CONFIG, type NetFabric } from '../../src/efa/net/index.ts';
import { createSrdTransport, type SrdOptions } from '../../src/efa/srd/index.ts';

export interface World {
  readonly fabric: NetFabric;
  readonly transports: Transport[];
  readonly completions: Map<number, TransferCompletion>;
  /** Every delivered segment per (src, messageId) key. */
  readonly segments: Map<string, DeliveredSegment[]>;
}

export function world(config: Partial<FabricConfig> = {}, options: SrdOptions | ((host: number) => SrdOptions) = {}): World {
  const fabric = createFabric({ ...DEFAULT_FABRIC_CONFIG, ...config });
  const completions = new Map<number, TransferCompletion>();
  const segments = new Map<string, DeliveredSegment[]>();
  const transports: Transport[] = [];
  for (let h = 0; h < fabric.hostCount; h++) {
    const t = createSrdTransport(fabric, h, typeof options === 'function' ? options(h) : options);
    t.onDeliver((s) => {
      const key = `${s.src}/${s.messageId}`;
      const list = segments.get(key) ?? [];
      list.push(s);
      segments.set(key, list);
    });
    transports.push(t);
  }
  return { fabric, transports, completions, segments };
}

export function post(w: World, src: number, dst: number, id: number, bytes: number, payload?: Uint8Array): void {
  w.transports[src]!.post({
    id,
    dst,
    bytes,
    ...(payload !== undefined ? { payload } : {}),
    onComplete: (c) => {
      if (w.completions.has(c.id)) throw new Error(`message ${c.id} completed twice`);
      w.completions.set(c.id, c);
    },
  });
}

/** Deterministic test payload: bytes depend on (id, offset). */
export function pattern(id: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + id * 7 + (i >>> 8)) & 0xff;
  return out;
}

/**
 * Checks a message arrived exactly once: its segments tile [0, bytes) with no overlap and no gap, and (with a
 * payload) reassemble to the bytes sent. Returns a problem description or null.
 */
export function checkExactlyOnce(w: World, src: number, id: number, bytes: number, payload?: Uint8Array): string | null {
  const list = w.segments.get(`${src}/${id}`) ?? [];
  const covered = new Uint8Array(bytes);
  const assembled = new Uint8Array(bytes);
  for (const s of list) {
    if (s.messageBytes !== bytes) return `segment says ${s.messageBytes} bytes, message has ${bytes}`;
    for (let i = s.offset; i < s.offset + s.length; i++) {
      if (covered[i] !== 0) return `byte ${i} delivered twice`;
      covered[i] = 1;
    }
    if (payload !== undefined) {
      if (s.payload === undefined) return 'segment without payload';
      assembled.set(s.payload, s.offset);
    }
  }
  const missing = covered.indexOf(0);
  if (missing >= 0) return `byte ${missing} never delivered`;
  if (bytes === 0 && list.length !== 1) return `zero-byte message delivered ${list.length} times`;
  if (payload !== undefined && !assembled.every((b, i) => b === payload[i])) return 'payload differs';
  return null;
}

export function linkId(fabric: NetFabric, name: string): number {
  const link = fabric.links().find((l) => l.name === name);
  if (link === undefined) throw new Error(`no link ${name}`);
  return link.id;
}
