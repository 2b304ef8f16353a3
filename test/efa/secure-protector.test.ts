import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { indexOfBytes, utf8 } from '../../src/crypto/index.ts';
import type { Packet } from '../../src/efa/contracts.ts';
import {
  type SealedHeader,
  type SecureLinkDefences,
  ReplayWindow,
  SECURE_LINK_OVERHEAD_BYTES,
  SecureLinkProtector,
  createDomainProtectors,
  defencesWith,
  isSealedHeader,
  linkSessionFromDomainSecret,
} from '../../src/efa/secure/index.ts';
import { expectCode } from '../helpers/errors.ts';
import { flipped } from '../helpers/bytes.ts';
import { attestedPair } from './secure-helpers.ts';

const CANARY = utf8('CANARY-7f3a-weights-shard-0042');
const DOMAIN = new Uint8Array(32).fill(0x5a);

function dataPacket(src: number, dst: number, psn: number, payload: Uint8Array | undefined = CANARY): Packet {
  const packet: Packet = { src, dst, entropy: psn % 7, kind: 'data', wireBytes: (payload?.length ?? 8192) + 64, header: { psn, ctx: 0 } };
  if (payload !== undefined) packet.payload = payload.slice();
  return packet;
}

function sealedHeader(packet: Packet): SealedHeader {
  if (!isSealedHeader(packet.header)) throw new Error('not sealed');
  return packet.header;
}

function withHeader(packet: Packet, header: Partial<SealedHeader>): Packet {
  return { ...packet, header: { ...sealedHeader(packet), ...header } };
}

/** Attested protectors for hosts 1 and 2. */
function attested(defences?: SecureLinkDefences, extra: Partial<ConstructorParameters<typeof SecureLinkProtector>[0]> = {}) {
  const { a, b } = attestedPair(1, 2, defences === undefined ? {} : { defences });
  return {
    p1: new SecureLinkProtector({ host: 1, sessions: [a], ...(defences === undefined ? {} : { defences }), ...extra }),
    p2: new SecureLinkProtector({ host: 2, sessions: [b], ...(defences === undefined ? {} : { defences }), ...extra }),
  };
}

/** Domain-keyed protector: every link shares one secret, so only the labels and AAD keep them apart. */
function domain(host: number, peers: readonly number[], jobId: string, defences = defencesWith()) {
  return new SecureLinkProtector({
    host,
    defences,
    sessions: peers.map((peer) =>
      linkSessionFromDomainSecret({ domainSecret: DOMAIN, jobId, local: { host, rank: host }, peer: { host: peer, rank: peer }, defences }),
    ),
  });
}

describe('secure link packet protector', () => {
  it('encrypts the payload, adds exactly the 32 B overhead and opens to the same packet (NET-01)', () => {
    const { p1, p2 } = attested();
    const plain = dataPacket(1, 2, 17);
    const sealed = p1.seal(plain);
    expect(indexOfBytes(sealed.payload!, CANARY)).toBe(-1);
    expect(sealed.wireBytes - plain.wireBytes).toBe(SECURE_LINK_OVERHEAD_BYTES);
    expect(sealed.entropy).toBe(plain.entropy);
    expect(sealedHeader(sealed).inner).toEqual({ psn: 17, ctx: 0 });
    const opened = p2.open(sealed)!;
    expect(opened.payload).toEqual(CANARY);
    expect(opened.header).toEqual({ psn: 17, ctx: 0 });
    expect(opened.wireBytes).toBe(plain.wireBytes);
    expect(p2.stats()['opened']).toBe(1);
  });

  it('with encryption off the canary crosses in the clear (negative control)', () => {
    const { p1 } = attested(defencesWith({ encrypt: false }));
    expect(indexOfBytes(p1.seal(dataPacket(1, 2, 1)).payload!, CANARY)).toBeGreaterThanOrEqual(0);
  });

  it('gives every transmission, retransmissions included, a fresh counter and ciphertext', () => {
    const { p1, p2 } = attested();
    const packet = dataPacket(1, 2, 5);
    const first = p1.seal(packet);
    const retransmission = p1.seal(packet);
    expect(sealedHeader(retransmission).counter).toBe(sealedHeader(first).counter + 1);
    expect(retransmission.payload).not.toEqual(first.payload);
    expect(p2.open(retransmission)?.payload).toEqual(CANARY);
    expect(p2.open(first)?.payload).toEqual(CANARY);
  });

  it('authenticates ACKs without payload; the entropy field is outside the AAD', () => {
    const { p1, p2 } = attested();
    const ack: Packet = { src: 1, dst: 2, entropy: 3, kind: 'ack', wireBytes: 32, header: { ackPsn: 9, cumPsn: 4 } };
    const sealed = p1.seal(ack);
    expect(sealed.payload!.length).toBe(16);
    const opened = p2.open({ ...sealed, entropy: 30 });
    expect(opened).toMatchObject({ kind: 'ack', header: { ackPsn: 9, cumPsn: 4 } });
    expect(opened?.payload).toBeUndefined();
    const forged = p1.seal(ack);
    expect(p2.open(withHeader(forged, { inner: { ackPsn: 10, cumPsn: 4 } }))).toBeNull();
    expect(p2.open({ ...p1.seal(ack), kind: 'data' })).toBeNull();
    expect(p2.stats()['rejected.authFailed']).toBe(2);
  });

  describe('tamper (NET-02)', () => {
    it('a flipped payload byte, a rewritten PSN or a corruption fault is dropped and counted; the genuine packet still opens', () => {
      const { p1, p2 } = attested();
      const sealed = p1.seal(dataPacket(1, 2, 40));
      expect(p2.open({ ...sealed, payload: flipped(sealed.payload!, 3) })).toBeNull();
      expect(p2.open(withHeader(sealed, { inner: { psn: 41, ctx: 0 } }))).toBeNull();
      expect(p2.open({ ...sealed, corrupted: true })).toBeNull();
      expect(p2.stats()['rejected.authFailed']).toBe(3);
      expect(p2.open(sealed)?.payload).toEqual(CANARY);
    });

    it('with encryption off, the flipped bytes are delivered (negative control)', () => {
      const { p1, p2 } = attested(defencesWith({ encrypt: false }));
      const sealed = p1.seal(dataPacket(1, 2, 40));
      const opened = p2.open({ ...sealed, payload: flipped(sealed.payload!, 3) });
      expect(opened?.payload).not.toEqual(CANARY);
    });
  });

  describe('replay (NET-03) and reordering (NET-04)', () => {
    it('accepts any order inside the window, refuses a replay and anything behind the window', () => {
      const { p1, p2 } = attested(undefined, { replayWindow: 64 });
      const sealed = Array.from({ length: 50 }, (_, i) => p1.seal(dataPacket(1, 2, i)));
      const order = sealed.map((_, i) => (i * 37) % 50);
      for (const i of order) expect(p2.open(sealed[i]!)).not.toBeNull();
      expect(p2.open(sealed[10]!)).toBeNull();
      expect(p2.stats()['rejected.replayed']).toBe(1);
      for (let i = 0; i < 70; i++) p2.open(p1.seal(dataPacket(1, 2, 100 + i)));
      const late = p1.seal(dataPacket(1, 2, 999));
      for (let i = 0; i < 70; i++) p2.open(p1.seal(dataPacket(1, 2, 200 + i)));
      expect(p2.open(late)).toBeNull();
      expect(p2.stats()['rejected.tooOld']).toBe(1);
    });

    it('with anti-replay off the replay is delivered (negative control)', () => {
      const { p1, p2 } = attested(defencesWith({ antiReplay: false }));
      const sealed = p1.seal(dataPacket(1, 2, 1));
      expect(p2.open(sealed)).not.toBeNull();
      expect(p2.open(sealed)?.payload).toEqual(CANARY);
    });

    it('the window matches a set model under any arrival order', () => {
      fc.assert(
        fc.property(fc.array(fc.nat(300), { maxLength: 200 }), (counters) => {
          const window = new ReplayWindow(64);
          const seen = new Set<number>();
          let highest = -1;
          for (const c of counters) {
            const expected = c <= highest - 64 ? 'tooOld' : seen.has(c) ? 'replayed' : 'fresh';
            expect(window.check(c)).toBe(expected);
            if (expected === 'fresh') {
              window.mark(c);
              seen.add(c);
              highest = Math.max(highest, c);
            }
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('injection (NET-06)', () => {
    it('refuses packets from a host without a session and plaintext on an encrypted link', () => {
      const { p2 } = attested();
      expect(p2.open(dataPacket(9, 2, 1))).toBeNull();
      expect(p2.open(dataPacket(1, 2, 1))).toBeNull();
      expect(p2.stats()).toMatchObject({ 'rejected.unknownPeer': 1, 'rejected.plaintext': 1, rejected: 2, opened: 0 });
    });

    it('a forged sealed packet with the right SPI and context fails its tag', () => {
      const { p1, p2 } = attested();
      const genuine = p1.seal(dataPacket(1, 2, 1));
      const forged = { ...genuine, payload: new Uint8Array(genuine.payload!.length).fill(0x41) };
      expect(p2.open(forged)).toBeNull();
      expect(p2.stats()['rejected.authFailed']).toBe(1);
    });

    it('with peer authentication off the unknown host gets through (negative control)', () => {
      const { p2 } = attested(defencesWith({ peerAuthentication: false }));
      expect(p2.open(dataPacket(9, 2, 1))?.payload).toEqual(CANARY);
    });

    it('never seals towards a peer without a session', () => {
      const { p1 } = attested();
      expectCode(() => p1.seal(dataPacket(1, 3, 1)), 'LINK_NO_SESSION');
    });
  });

  describe('splice and reflection (NET-09)', () => {
    const off = defencesWith({ aadBinding: false });

    it('ciphertext of another job on the same hosts is refused; accepted with AAD binding off (negative control)', () => {
      for (const [defences, accepted] of [[defencesWith(), false], [off, true]] as const) {
        const alphaSender = domain(1, [2], 'job-alpha', defences);
        const betaReceiver = domain(2, [1], 'job-beta', defences);
        const opened = betaReceiver.open(alphaSender.seal(dataPacket(1, 2, 1)));
        expect(opened !== null).toBe(accepted);
        if (!accepted) expect(betaReceiver.stats()['rejected.spliced']).toBe(1);
      }
    });

    it('ciphertext of another link is refused even with forged addresses; accepted with binding off', () => {
      for (const [defences, accepted] of [[defencesWith(), false], [off, true]] as const) {
        const sender = domain(1, [2, 3], 'job-alpha', defences);
        const third = domain(3, [1], 'job-alpha', defences);
        const spliced = { ...sender.seal(dataPacket(1, 2, 1)), dst: 3 };
        expect(third.open(spliced) !== null).toBe(accepted);
        if (!accepted) {
          // Even with the SPI and context rewritten to the right link, the tag (keyed and AAD-bound to 1→2) fails.
          const s = sender.seal(dataPacket(1, 3, 2));
          const rewritten = withHeader({ ...sender.seal(dataPacket(1, 2, 3)), dst: 3 }, { spi: sealedHeader(s).spi, context: sealedHeader(s).context });
          expect(third.open(rewritten)).toBeNull();
          expect(third.stats()).toMatchObject({ 'rejected.spliced': 1, 'rejected.authFailed': 1 });
        }
      }
    });

    it('a packet reflected back to its sender is refused; accepted with binding off (negative control)', () => {
      for (const [defences, accepted] of [[defencesWith(), false], [off, true]] as const) {
        const { p1 } = attested(defences);
        const sealed = p1.seal(dataPacket(1, 2, 1));
        const reflected = { ...sealed, src: 2, dst: 1 };
        expect(p1.open(reflected) !== null).toBe(accepted);
        if (!accepted) expect(p1.stats()['rejected.reflected']).toBe(1);
      }
    });

    it('attested sessions of two jobs on one host pair do not open each other', () => {
      const alpha = attestedPair(1, 2, { jobId: 'job-alpha' });
      const beta = attestedPair(1, 2, { jobId: 'job-beta' });
      const sender = new SecureLinkProtector({ host: 1, sessions: [alpha.a] });
      const receiver = new SecureLinkProtector({ host: 2, sessions: [beta.b] });
      const sealed = sender.seal(dataPacket(1, 2, 1));
      expect(receiver.open(sealed)).toBeNull();
      expect(receiver.open(withHeader(sealed, { spi: beta.b.spi, context: beta.b.context(0) }))).toBeNull();
      expect(receiver.stats()).toMatchObject({ 'rejected.spliced': 1, 'rejected.authFailed': 1 });
    });
  });

  describe('usage limits and rekey (NET-08)', () => {
    it('switches epoch every N packets; the receiver follows, keeps the previous epoch for late packets', () => {
      const { p1, p2 } = attested(undefined, { rekeyAfterPackets: 4 });
      const sealed = Array.from({ length: 10 }, (_, i) => p1.seal(dataPacket(1, 2, i)));
      expect(sealed.map((p) => sealedHeader(p).epoch)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
      expect(p1.stats()['rekeys']).toBe(2);
      const order = [0, 1, 4, 2, 5, 3, 8, 6, 7, 9];
      for (const i of order) expect(p2.open(sealed[i]!), `packet ${i}`).not.toBeNull();
      // Epoch 0 is now two behind: no key any more. An epoch label moved to the neighbour's fails the tag.
      const { p1: q1, p2: q2 } = attested(undefined, { rekeyAfterPackets: 4 });
      const s = Array.from({ length: 10 }, (_, i) => q1.seal(dataPacket(1, 2, i)));
      for (const i of [4, 8]) q2.open(s[i]!);
      expect(q2.open(s[0]!)).toBeNull();
      expect(q2.open(withHeader(s[9]!, { epoch: 1 }))).toBeNull();
      expect(q2.open(withHeader(s[9]!, { epoch: 9 }))).toBeNull();
      expect(q2.stats()).toMatchObject({ 'rejected.badEpoch': 2, 'rejected.authFailed': 1 });
    });

    it('follows a peer whose whole previous epoch was lost (NET-05: no silent dead link)', () => {
      const { p1, p2 } = attested(undefined, { rekeyAfterPackets: 2 });
      const sealed = Array.from({ length: 8 }, (_, i) => p1.seal(dataPacket(1, 2, i)));
      expect(sealedHeader(sealed[6]!).epoch).toBe(3);
      expect(p2.open(sealed[0]!)).not.toBeNull();
      expect(p2.open(sealed[6]!)?.payload).toEqual(CANARY);
      expect(p2.open(sealed[5]!)).not.toBeNull();
      expect(p2.open(sealed[1]!)).toBeNull();
      expect(p2.stats()['rejected.badEpoch']).toBe(1);
    });

    it('refuses to seal when the counter would wrap, without changing state', () => {
      const { p1 } = attested(undefined, { txCounterBits: 4, rekeyAfterPackets: 1 << 20 });
      for (let i = 0; i < 16; i++) p1.seal(dataPacket(1, 2, i));
      expectCode(() => p1.seal(dataPacket(1, 2, 16)), 'LINK_KEY_EXHAUSTED');
      expectCode(() => p1.seal(dataPacket(1, 2, 16)), 'LINK_KEY_EXHAUSTED');
      expect(p1.stats()['sealed']).toBe(16);
    });

    it('with rekey off the counter wraps and a wire observer sees a repeated (key, nonce) (negative control)', () => {
      for (const [defences, expectReuse] of [[defencesWith(), false], [defencesWith({ rekey: false }), true]] as const) {
        const { p1 } = attested(defences, { txCounterBits: 4, rekeyAfterPackets: 8 });
        const seen = new Set<string>();
        let reuse = false;
        for (let i = 0; i < 24; i++) {
          let h: SealedHeader;
          try {
            h = sealedHeader(p1.seal(dataPacket(1, 2, i)));
          } catch {
            break;
          }
          const id = `${h.spi}/${h.epoch}/${h.context}/${h.counter}`;
          if (seen.has(id)) reuse = true;
          seen.add(id);
        }
        expect(reuse).toBe(expectReuse);
      }
    });

    it('refuses a new epoch past the 16-bit epoch space (accounted mode, so it is fast)', () => {
      const q = new SecureLinkProtector({ host: 1, mode: 'accounted', rekeyAfterPackets: 1, sessions: [linkSessionFromDomainSecret({ domainSecret: DOMAIN, jobId: 'job-alpha', local: { host: 1, rank: 1 }, peer: { host: 2, rank: 2 } })] });
      expect(q.txEpoch(2)).toBe(0);
      for (let i = 0; i <= 0xffff; i++) q.seal(dataPacket(1, 2, i, undefined));
      expect(q.txEpoch(2)).toBe(0xffff);
      expectCode(() => q.seal(dataPacket(1, 2, 0, undefined)), 'LINK_KEY_EXHAUSTED');
    });
  });

  describe('domain-keyed protectors for experiments', () => {
    it('key members on first use and refuse non-members both ways', () => {
      const protectors = createDomainProtectors({ hosts: [0, 1, 2], jobId: 'exp', domainSecret: DOMAIN, options: { mode: 'real' } });
      const p0 = protectors.get(0)!;
      const p2 = protectors.get(2)!;
      expect(p2.open(p0.seal(dataPacket(0, 2, 1)))?.payload).toEqual(CANARY);
      expectCode(() => p0.seal(dataPacket(0, 5, 1)), 'LINK_NO_SESSION');
      expect(p2.open(dataPacket(5, 2, 1))).toBeNull();
      expect(p2.stats()['rejected.unknownPeer']).toBe(1);
    });
  });

  describe('accounted mode', () => {
    it('produces the same headers and wire bytes as real mode, no AES, and still drops corrupt and replayed packets', () => {
      const make = (mode: 'real' | 'accounted') => ({
        s: new SecureLinkProtector({ host: 1, mode, sessions: [linkSessionFromDomainSecret({ domainSecret: DOMAIN, jobId: 'j', local: { host: 1, rank: 0 }, peer: { host: 2, rank: 1 } })] }),
        r: new SecureLinkProtector({ host: 2, mode, sessions: [linkSessionFromDomainSecret({ domainSecret: DOMAIN, jobId: 'j', local: { host: 2, rank: 1 }, peer: { host: 1, rank: 0 } })] }),
      });
      const real = make('real');
      const accounted = make('accounted');
      const a = accounted.s.seal(dataPacket(1, 2, 1));
      const b = real.s.seal(dataPacket(1, 2, 1));
      expect(a.wireBytes).toBe(b.wireBytes);
      expect(a.header).toEqual(b.header);
      expect(a.payload).toEqual(CANARY);
      expect(accounted.r.open(a)?.payload).toEqual(CANARY);
      expect(accounted.r.open(a)).toBeNull();
      expect(accounted.r.open({ ...accounted.s.seal(dataPacket(1, 2, 2)), corrupted: true })).toBeNull();
      expect(accounted.r.stats()).toMatchObject({ 'rejected.replayed': 1, 'rejected.authFailed': 1 });
    });
  });
});
