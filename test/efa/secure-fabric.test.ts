import { describe, expect, it } from 'vitest';
import { indexOfBytes, utf8 } from '../../src/crypto/index.ts';
import type { DeliveredSegment, Packet, Transport } from '../../src/efa/contracts.ts';
import { DEFAULT_FABRIC_CONFIG, createFabric } from '../../src/efa/net/index.ts';
import { createSrdTransport } from '../../src/efa/srd/index.ts';
import {
  type SecureLinkDefences,
  SECURE_LINK_OVERHEAD_BYTES,
  SecureLinkProtector,
  defencesWith,
  isSealedHeader,
  linkSessionFromDomainSecret,
} from '../../src/efa/secure/index.ts';
import { attestedPair } from './secure-helpers.ts';

// End to end over the fabric and SRD: the attested link between host 0 (leaf 0) and host 2 (leaf 1) carries a
// message full of canaries while an attacker on host 0's uplink watches, flips, replays, reflects and injects.

const CANARY = utf8('CANARY-e2e-9c1d-activation-row');
const MESSAGE_BYTES = 64 * 1024;

function canaryMessage(): Uint8Array {
  const bytes = new Uint8Array(MESSAGE_BYTES);
  for (let at = 0; at + CANARY.length <= bytes.length; at += CANARY.length) bytes.set(CANARY, at);
  return bytes;
}

interface World {
  readonly fabric: ReturnType<typeof createFabric>;
  readonly sender: Transport;
  readonly receiver: Transport;
  readonly p0: SecureLinkProtector;
  readonly p2: SecureLinkProtector;
  readonly delivered: DeliveredSegment[];
  readonly uplink: number;
}

function world(defences: SecureLinkDefences = defencesWith(), seed = 3): World {
  const fabric = createFabric({
    ...DEFAULT_FABRIC_CONFIG,
    topology: { kind: 'leaf-spine', leaves: 2, spines: 4, hostsPerLeaf: 2 },
    seed,
  });
  const { a, b } = attestedPair(0, 2, { defences });
  const p0 = new SecureLinkProtector({ host: 0, sessions: [a], defences });
  const p2 = new SecureLinkProtector({ host: 2, sessions: [b], defences });
  const sender = createSrdTransport(fabric, 0, { protector: p0 });
  const receiver = createSrdTransport(fabric, 2, { protector: p2 });
  const delivered: DeliveredSegment[] = [];
  receiver.onDeliver((segment) => delivered.push(segment));
  const uplink = fabric.links().find((l) => l.name === 'h0->leaf0')!.id;
  return { fabric, sender, receiver, p0, p2, delivered, uplink };
}

/** Posts the canary message 0 → 2, runs the fabric, returns the completion and the reassembled bytes. */
function transfer(w: World, message = canaryMessage()): { ok: boolean; received: Uint8Array; segments: number } {
  let ok = false;
  w.sender.post({ id: 1, dst: 2, bytes: message.length, payload: message.slice(), onComplete: (c) => (ok = c.ok) });
  w.fabric.run({ eventsMax: 2_000_000 });
  const received = new Uint8Array(message.length);
  for (const s of w.delivered) if (s.payload !== undefined) received.set(s.payload, s.offset);
  return { ok, received, segments: w.delivered.length };
}

describe('secure links over the fabric and SRD', () => {
  it('a passive tap sees no canary with protection on, and sees it with encryption off (NET-01)', () => {
    for (const [defences, visible] of [[defencesWith(), false], [defencesWith({ encrypt: false }), true]] as const) {
      const w = world(defences);
      let canaryOnWire = false;
      let dataPackets = 0;
      w.fabric.tap(w.uplink, (p) => {
        if (p.kind !== 'data') return;
        dataPackets++;
        if (p.payload !== undefined && indexOfBytes(p.payload, CANARY) >= 0) canaryOnWire = true;
      });
      const { ok, received } = transfer(w);
      expect(ok).toBe(true);
      expect(received).toEqual(canaryMessage());
      expect(dataPackets).toBeGreaterThanOrEqual(MESSAGE_BYTES / DEFAULT_FABRIC_CONFIG.mtuPayloadBytes);
      expect(canaryOnWire).toBe(visible);
    }
  });

  it('flipped ciphertext is dropped and retransmitted: the bytes arrive intact (NET-02); encryption off delivers the flip', () => {
    for (const [defences, intact] of [[defencesWith(), true], [defencesWith({ encrypt: false }), false]] as const) {
      const w = world(defences);
      let flips = 0;
      w.fabric.tap(w.uplink, (p) => {
        if (p.kind === 'data' && p.payload !== undefined && flips < 3) {
          // A man in the middle rewrites this transmission only (a fresh array, not the sender's buffer).
          const changed = p.payload.slice();
          changed[100] = changed[100]! ^ 0x20;
          p.payload = changed;
          flips++;
        }
      });
      const { ok, received } = transfer(w);
      expect(flips).toBe(3);
      expect(ok).toBe(true);
      expect(indexOfBytes(received, canaryMessage()) === 0).toBe(intact);
      if (intact) expect(w.p2.stats()['rejected.authFailed']).toBe(3);
    }
  });

  it('a corrupting link costs retransmissions, never wrong bytes', () => {
    const w = world();
    w.fabric.fault(w.uplink, 0, { kind: 'corrupt', probability: 0.3 });
    const { ok, received } = transfer(w);
    expect(ok).toBe(true);
    expect(received).toEqual(canaryMessage());
    expect(w.p2.stats()['rejected.authFailed']).toBeGreaterThan(0);
    expect(w.sender.stats()['retransmissions']).toBeGreaterThan(0);
  });

  it('replayed, reflected, spliced and injected packets are never delivered; with defences off they pass the protector', () => {
    const runAttacks = (defences: SecureLinkDefences) => {
      const w = world(defences);
      const captured: Packet[] = [];
      w.fabric.tap(w.uplink, (p) => {
        if (p.kind === 'data' && p.dst === 2) captured.push({ ...p });
      });
      const first = transfer(w);
      expect(first.ok).toBe(true);
      const segmentsBefore = w.delivered.length;
      // Another job's link between the same hosts: its ciphertext, addressed 0 → 2, spliced onto our link.
      const foreign = linkSessionFromDomainSecret({
        domainSecret: new Uint8Array(32).fill(9),
        jobId: 'job-other',
        local: { host: 0, rank: 0 },
        peer: { host: 2, rank: 1 },
      });
      const other = new SecureLinkProtector({ host: 0, sessions: [foreign] });
      const innerOf = (p: Packet): Packet => ({
        ...p,
        wireBytes: p.wireBytes - SECURE_LINK_OVERHEAD_BYTES,
        header: isSealedHeader(p.header) ? p.header.inner : p.header,
      });
      const replay = captured[1]!;
      const reflected = { ...captured[2]!, src: 2, dst: 0 };
      const spliced = other.seal({ ...innerOf(captured[3]!), payload: CANARY.slice() });
      // A fresh PSN and message, so that only the link (not SRD's duplicate filter) stands in the way.
      const base = innerOf(captured[4]!);
      const forgedHeader = { ...(base.header as Record<string, unknown>), psn: 1000, msgId: 99, offset: 0, length: CANARY.length, msgBytes: CANARY.length };
      const injected: Packet = { ...base, src: 1, header: forgedHeader, payload: CANARY.slice() };
      const at = w.fabric.now + 1_000_000;
      w.fabric.schedule(at, () => {
        w.fabric.send({ ...replay });
        w.fabric.send(reflected);
        w.fabric.send(spliced);
        w.fabric.send(injected);
      });
      w.fabric.run({ eventsMax: 1_000_000 });
      const injectedDelivered = w.delivered.slice(segmentsBefore).some((s) => s.payload !== undefined && indexOfBytes(s.payload, CANARY) === 0 && s.length === CANARY.length);
      return { w, newSegments: w.delivered.length - segmentsBefore, injectedDelivered };
    };

    const on = runAttacks(defencesWith());
    expect(on.newSegments).toBe(0);
    expect(on.injectedDelivered).toBe(false);
    expect(on.w.p2.stats()).toMatchObject({ 'rejected.replayed': 1, 'rejected.spliced': 1, 'rejected.unknownPeer': 1 });
    expect(on.w.p0.stats()['rejected.reflected']).toBe(1);

    // Negative controls: the same frames get through the protector once its defences are off.
    const replayOff = runAttacks(defencesWith({ antiReplay: false }));
    expect(replayOff.w.p2.stats()['rejected.replayed']).toBe(0);
    const reflectOff = runAttacks(defencesWith({ aadBinding: false }));
    expect(reflectOff.w.p0.stats()['rejected.reflected']).toBe(0);
    const injectOff = runAttacks(defencesWith({ peerAuthentication: false }));
    expect(injectOff.w.p2.stats()['rejected.unknownPeer']).toBe(0);
    expect(injectOff.injectedDelivered).toBe(true);
  });

  it('is deterministic: same seed, same fabric digest and protector counters', () => {
    const run = () => {
      const w = world(defencesWith(), 11);
      w.fabric.fault(w.uplink, 0, { kind: 'corrupt', probability: 0.2 });
      transfer(w);
      return { digest: w.fabric.digest(), p2: w.p2.stats() };
    };
    expect(run()).toEqual(run());
  });
});

describe('cost of the secure link', () => {
  it('costs only the 32 B per packet: 1 MiB completes within the header-overhead ratio of the unprotected run', () => {
    const fct = (protect: boolean, mode: 'real' | 'accounted') => {
      const fabric = createFabric({ ...DEFAULT_FABRIC_CONFIG, topology: { kind: 'leaf-spine', leaves: 2, spines: 4, hostsPerLeaf: 2 }, seed: 5 });
      const session = (local: number, peer: number) =>
        linkSessionFromDomainSecret({ domainSecret: new Uint8Array(32).fill(3), jobId: 'bench', local: { host: local, rank: local }, peer: { host: peer, rank: peer } });
      const sender = createSrdTransport(fabric, 0, protect ? { protector: new SecureLinkProtector({ host: 0, mode, sessions: [session(0, 2)] }) } : {});
      createSrdTransport(fabric, 2, protect ? { protector: new SecureLinkProtector({ host: 2, mode, sessions: [session(2, 0)] }) } : {});
      let completedPs = -1;
      sender.post({ id: 1, dst: 2, bytes: 1 << 20, onComplete: (c) => (completedPs = c.ok ? c.completedPs - c.postedPs : -1) });
      fabric.run({ eventsMax: 2_000_000 });
      return completedPs;
    };
    const plain = fct(false, 'accounted');
    const accounted = fct(true, 'accounted');
    const real = fct(true, 'real');
    const { mtuPayloadBytes, headerBytes } = DEFAULT_FABRIC_CONFIG;
    const overheadRatio = (mtuPayloadBytes + headerBytes - SECURE_LINK_OVERHEAD_BYTES) / (mtuPayloadBytes + headerBytes);
    expect(plain).toBeGreaterThan(0);
    expect(real).toBe(accounted);
    expect(accounted).toBeGreaterThan(plain);
    expect(plain / accounted).toBeGreaterThanOrEqual(overheadRatio - 0.001);
  });
});
