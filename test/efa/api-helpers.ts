// Test helpers for the endpoint API: a loopback Transport that delivers every message's segments after a seeded
// pseudo-random delay (so packets and messages overtake each other deterministically), with hooks to hold back or
// fail chosen messages; and a small world of endpoints that know each other.
import type { DeliveredSegment, Fabric, HostId, Transport, TransferCompletion } from '../../src/efa/contracts.ts';
import { createFabric, DEFAULT_FABRIC_CONFIG } from '../../src/efa/net/index.ts';
import { createDomain, type Domain, type Endpoint, type EndpointMode, type EndpointOptions } from '../../src/efa/api/index.ts';

export interface LoopbackOptions {
  /** Base one-way delay; each segment adds a uniform jitter in [0, jitterPs). */
  readonly baseDelayPs?: number;
  readonly jitterPs?: number;
  /** Extra delay of the n-th message posted on this fabric (0-based, all hosts), for forced skews. */
  readonly extraDelayPs?: (messageIndex: number, src: HostId, dst: HostId) => number;
  /** A code fails the message at the transport (nothing delivered). */
  readonly failWith?: (messageIndex: number, src: HostId, dst: HostId) => string | undefined;
  /** Messages whose segments are silently never delivered (the transport still reports success: a broken NIC). */
  readonly swallow?: (messageIndex: number, src: HostId, dst: HostId) => boolean;
  /** Deliver every segment a second time, later (a transport breaking its exactly-once promise). */
  readonly duplicate?: boolean;
  /** Sees every message's bytes as posted (a passive tap). */
  readonly observe?: (src: HostId, dst: HostId, payload: Uint8Array | undefined) => void;
}

export interface Loopback {
  readonly transportFor: (host: HostId) => Transport;
  /** Hands a raw segment to a host as if the wire delivered it (a tap injecting). */
  inject(dst: HostId, segment: DeliveredSegment): void;
  readonly posted: { count: number };
}

export function loopback(fabric: Fabric, options: LoopbackOptions = {}): Loopback {
  const base = options.baseDelayPs ?? 2_000_000;
  const jitter = options.jitterPs ?? 10_000_000;
  const rng = fabric.random('test/loopback');
  const handlers = new Map<HostId, (segment: DeliveredSegment) => void>();
  const transports = new Map<HostId, Transport>();
  const posted = { count: 0 };
  const mtu = fabric.config.mtuPayloadBytes;

  function make(host: HostId): Transport {
    return {
      kind: 'srd',
      host,
      post(message): void {
        const index = posted.count++;
        options.observe?.(host, message.dst, message.payload);
        const code = options.failWith?.(index, host, message.dst);
        const extra = options.extraDelayPs?.(index, host, message.dst) ?? 0;
        const postedPs = fabric.now;
        let lastPs = fabric.now;
        if (code === undefined && options.swallow?.(index, host, message.dst) !== true) {
          for (let offset = 0; offset === 0 || offset < message.bytes; offset += mtu) {
            const length = Math.min(mtu, message.bytes - offset);
            const atPs = fabric.now + base + extra + Math.floor(rng.next() * jitter);
            lastPs = Math.max(lastPs, atPs);
            const payload = message.payload?.slice(offset, offset + length);
            const deliver = (): void => {
              handlers.get(message.dst)?.({
                src: host, messageId: message.id, offset, length, messageBytes: message.bytes, payload, atPs,
              });
            };
            fabric.schedule(atPs, deliver);
            if (options.duplicate === true) fabric.schedule(atPs + base, deliver);
            if (message.bytes === 0) break;
          }
        }
        const completion: TransferCompletion = code === undefined
          ? { id: message.id, ok: true, postedPs, completedPs: lastPs + base }
          : { id: message.id, ok: false, code, postedPs, completedPs: lastPs + base };
        fabric.schedule(lastPs + base, () => message.onComplete(completion));
      },
      onDeliver(handler): void {
        handlers.set(host, handler);
      },
      stats: () => ({ posted: posted.count }),
    };
  }

  return {
    transportFor(host: HostId): Transport {
      let t = transports.get(host);
      if (t === undefined) {
        t = make(host);
        transports.set(host, t);
      }
      return t;
    },
    inject(dst: HostId, segment: DeliveredSegment): void {
      handlers.get(dst)?.(segment);
    },
    posted,
  };
}

export function smallFabric(seed = 7): Fabric {
  return createFabric({ ...DEFAULT_FABRIC_CONFIG, topology: { kind: 'leaf-spine', leaves: 2, spines: 4, hostsPerLeaf: 4 }, seed });
}

export interface Pair {
  readonly fabric: Fabric;
  readonly domain: Domain;
  readonly net: Loopback;
  readonly a: Endpoint;
  readonly b: Endpoint;
  /** b's FiAddr in a's AV and a's in b's. */
  readonly aToB: number;
  readonly bToA: number;
}

export function pair(mode: EndpointMode, loop: LoopbackOptions = {}, extra: Partial<EndpointOptions> = {}, seed = 7): Pair {
  const fabric = smallFabric(seed);
  const net = loopback(fabric, loop);
  const domain = createDomain({ fabric, transportFor: net.transportFor });
  const a = domain.endpoint({ host: 0, mode, ...extra });
  const b = domain.endpoint({ host: 5, mode, ...extra });
  const aToB = a.av.insert(b.getname());
  const bToA = b.av.insert(a.getname());
  return { fabric, domain, net, a, b, aToB, bToA };
}

export function pattern(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + salt * 7 + (i >> 8)) & 0xff;
  return out;
}
