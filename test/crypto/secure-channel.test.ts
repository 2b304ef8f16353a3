import { describe, expect, it } from 'vitest';
import {
  SCHAN_VERSION_1,
  createEmulatedWebPkiRoot,
  issueServerLeaf,
  secureChannelAccept,
  secureChannelConnect,
  utf8,
  fromUtf8,
  type MessageTransport,
  type SecureChannel,
} from '../../src/crypto/index.ts';
import { EmuError } from '../../src/errors.ts';
import { Prng } from '../../src/sim/index.ts';

/** A message pipe whose middle a test controls: `tap` sees and may rewrite every message in flight. */
function pipe(tap?: (direction: 'c2s' | 's2c', message: Uint8Array) => Uint8Array[]) {
  const queues = { c2s: [] as (Uint8Array | null)[], s2c: [] as (Uint8Array | null)[] };
  const waiters = { c2s: [] as ((m: Uint8Array | null) => void)[], s2c: [] as ((m: Uint8Array | null) => void)[] };
  const push = (direction: 'c2s' | 's2c', message: Uint8Array | null) => {
    const waiter = waiters[direction].shift();
    if (waiter) waiter(message);
    else queues[direction].push(message);
  };
  const end = (out: 'c2s' | 's2c', inbound: 'c2s' | 's2c'): MessageTransport & { closed: boolean } => {
    const t = {
      closed: false,
      send(message: Uint8Array) {
        for (const m of tap ? tap(out, message.slice()) : [message.slice()]) push(out, m);
      },
      receive(): Promise<Uint8Array | null> {
        if (queues[inbound].length > 0) return Promise.resolve(queues[inbound].shift()!);
        return new Promise((resolve) => waiters[inbound].push(resolve));
      },
      close() {
        if (!t.closed) push(out, null);
        t.closed = true;
      },
    };
    return t;
  };
  return { client: end('c2s', 's2c'), server: end('s2c', 'c2s') };
}

const root = createEmulatedWebPkiRoot(new Prng(0, 'emulated-web-pki-root'));
const leaf = issueServerLeaf(new Prng(1, 'kms-leaf'), root, 'kms.us-east-1.amazonaws.com');
const AT_MS = Date.UTC(2026, 0, 1);

async function handshake(options: {
  tap?: Parameters<typeof pipe>[0];
  serverChain?: Uint8Array[];
  serverKey?: Uint8Array;
  pinnedRootDer?: Uint8Array | null;
  serverName?: string;
  offeredVersions?: number[];
}) {
  const { client, server } = pipe(options.tap);
  const accepted = secureChannelAccept(server, {
    random: new Prng(2, 'server'),
    chainDer: options.serverChain ?? [leaf.der],
    privateKey: options.serverKey ?? leaf.keyPair.privateKey,
  });
  accepted.catch(() => undefined);
  const connected = secureChannelConnect(client, {
    random: new Prng(3, 'client'),
    pinnedRootDer: options.pinnedRootDer === undefined ? root.der : options.pinnedRootDer,
    serverName: options.serverName ?? 'kms.us-east-1.amazonaws.com',
    atMs: AT_MS,
    ...(options.offeredVersions ? { offeredVersions: options.offeredVersions } : {}),
  });
  return { connected, accepted, client, server };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EmuError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

async function established(tap?: Parameters<typeof pipe>[0]): Promise<{ c: SecureChannel; s: SecureChannel }> {
  const { connected, accepted } = await handshake(tap ? { tap } : {});
  return { c: await connected, s: await accepted };
}

describe('secure channel (TLS-like, not TLS)', () => {
  it('completes a handshake and carries records both ways, then closes cleanly', async () => {
    const { c, s } = await established();
    expect(c.peerCertificate?.subject).toContain('CN=kms.us-east-1.amazonaws.com');
    c.send(utf8('request one'));
    c.send(utf8('request two'));
    expect(fromUtf8((await s.receive())!)).toBe('request one');
    expect(fromUtf8((await s.receive())!)).toBe('request two');
    s.send(utf8('reply'));
    expect(fromUtf8((await c.receive())!)).toBe('reply');
    c.close();
    expect(await s.receive()).toBeNull();
  });

  it('puts no plaintext on the wire, and the same seeds give the same bytes', async () => {
    const run = async () => {
      const wire: Uint8Array[] = [];
      const { c, s } = await established((_d, m) => (wire.push(m), [m]));
      c.send(utf8('SECRET-PAYLOAD-0123456789'));
      await s.receive();
      return Buffer.concat(wire);
    };
    const first = await run();
    expect(first.includes(Buffer.from('SECRET-PAYLOAD'))).toBe(false);
    expect(first.equals(await run())).toBe(true);
  });

  it('rejects a tampered record and fails the channel', async () => {
    let armed = false;
    const { c, s } = await established((d, m) => {
      if (armed && d === 'c2s') m[m.length - 5]! ^= 1;
      return [m];
    });
    armed = true;
    c.send(utf8('hello'));
    expect(await codeOf(s.receive())).toBe('SCHAN_RECORD_AUTH');
    expect(await codeOf(s.receive())).toBe('SCHAN_FAILED');
  });

  it('rejects a replayed record', async () => {
    let armed = false;
    const { c, s } = await established((d, m) => (armed && d === 'c2s' ? [m, m] : [m]));
    armed = true;
    c.send(utf8('pay 10'));
    expect(fromUtf8((await s.receive())!)).toBe('pay 10');
    expect(await codeOf(s.receive())).toBe('SCHAN_RECORD_AUTH');
  });

  it('rejects reordered records', async () => {
    let held: Uint8Array | undefined;
    let armed = false;
    const { c, s } = await established((d, m) => {
      if (!armed || d !== 'c2s') return [m];
      if (held === undefined) {
        held = m;
        return [];
      }
      return [m, held];
    });
    armed = true;
    c.send(utf8('first'));
    c.send(utf8('second'));
    expect(await codeOf(s.receive())).toBe('SCHAN_RECORD_AUTH');
  });

  it('rejects a record reflected back to its sender (each direction has its own key)', async () => {
    let armed = false;
    let captured: Uint8Array | undefined;
    const { c, s } = await established((d, m) => {
      if (!armed) return [m];
      if (d === 'c2s') captured = m;
      // The parent answers the client with the client's own record instead of the server's.
      return d === 's2c' && captured !== undefined ? [captured] : [m];
    });
    armed = true;
    c.send(utf8('to server'));
    expect(fromUtf8((await s.receive())!)).toBe('to server');
    s.send(utf8('to client'));
    expect(await codeOf(c.receive())).toBe('SCHAN_RECORD_AUTH');
  });

  it('rejects a stream that ends without an authenticated close (truncation)', async () => {
    const { connected, accepted, client } = await handshake({});
    const c = await connected;
    const s = await accepted;
    c.send(utf8('part one'));
    expect(fromUtf8((await s.receive())!)).toBe('part one');
    client.close();
    expect(await codeOf(s.receive())).toBe('SCHAN_TRUNCATED');
  });

  it('rejects a record that lost its tail', async () => {
    let cut = false;
    const t = await established((d, m) => (cut && d === 'c2s' ? [m.subarray(0, m.length - 3)] : [m]));
    cut = true;
    t.c.send(utf8('record that loses its tail'));
    expect(await codeOf(t.s.receive())).toBe('SCHAN_BAD_RECORD');
  });
});

describe('secure channel handshake', () => {
  it('refuses a server whose chain does not end in the pinned root (a self-made KMS, PA-09)', async () => {
    const fakeRoot = createEmulatedWebPkiRoot(new Prng(99, 'attacker root'));
    const fakeLeaf = issueServerLeaf(new Prng(99, 'attacker leaf'), fakeRoot, 'kms.us-east-1.amazonaws.com');
    const pinned = await handshake({ serverChain: [fakeLeaf.der], serverKey: fakeLeaf.keyPair.privateKey });
    expect(await codeOf(pinned.connected)).toBe('CHAIN_UNTRUSTED_ROOT');
    expect(await codeOf(pinned.accepted)).toBe('SCHAN_HANDSHAKE_CLOSED');
    // The same fake server is accepted by a client that does not pin.
    const unpinned = await handshake({ serverChain: [fakeLeaf.der], serverKey: fakeLeaf.keyPair.privateKey, pinnedRootDer: null });
    const c = await unpinned.connected;
    const s = await unpinned.accepted;
    c.send(utf8('attestation document'));
    expect(fromUtf8((await s.receive())!)).toBe('attestation document');
  });

  it('refuses a genuine certificate for another name', async () => {
    const other = issueServerLeaf(new Prng(5, 'other'), root, 'kms.eu-west-1.amazonaws.com');
    const h = await handshake({ serverChain: [other.der], serverKey: other.keyPair.privateKey });
    expect(await codeOf(h.connected)).toBe('SCHAN_SERVER_NAME');
  });

  it('refuses a server that presents the real chain without its private key', async () => {
    const impostor = issueServerLeaf(new Prng(6, 'impostor'), root, 'kms.us-east-1.amazonaws.com');
    const h = await handshake({ serverChain: [leaf.der], serverKey: impostor.keyPair.privateKey });
    expect(await codeOf(h.connected)).toBe('SCHAN_SIGNATURE');
  });

  it('detects a ServerHello altered in flight', async () => {
    const h = await handshake({
      tap: (d, m) => {
        if (d === 's2c' && m[4] === 0x02) m[10]! ^= 1; // a byte of the server random
        return [m];
      },
    });
    expect(await codeOf(h.connected)).toBe('SCHAN_SIGNATURE');
  });

  it('detects a ClientHello altered in flight (offered versions are in the signed transcript: no downgrade)', async () => {
    const h = await handshake({
      offeredVersions: [SCHAN_VERSION_1, 0x0002],
      tap: (d, m) => {
        // Strip the second offered version by rewriting it to the first: the server still agrees on v1.
        if (d === 'c2s' && m[4] === 0x01) m[8] = 0x00, (m[9] = 0x01);
        return [m];
      },
    });
    expect(await codeOf(h.connected)).toBe('SCHAN_SIGNATURE');
  });

  it('refuses a server that picks a version the client did not offer', async () => {
    const h = await handshake({ offeredVersions: [0x0007] });
    expect(await codeOf(h.accepted)).toBe('SCHAN_VERSION');
    expect(await codeOf(h.connected)).toBe('SCHAN_HANDSHAKE_CLOSED');
  });

  it('refuses a forged client Finished', async () => {
    const h = await handshake({
      tap: (d, m) => {
        if (d === 'c2s' && m[4] === 0x03) m[m.length - 1]! ^= 1;
        return [m];
      },
    });
    await h.connected;
    expect(await codeOf(h.accepted)).toBe('SCHAN_FINISHED');
  });

  it('refuses handshake junk with typed errors', async () => {
    const { client, server } = pipe();
    const accepted = secureChannelAccept(server, { random: new Prng(1, 's'), chainDer: [leaf.der], privateKey: leaf.keyPair.privateKey });
    client.send(utf8('NESC\x01 not a hello'));
    expect(await codeOf(accepted)).toBe('SCHAN_BAD_HANDSHAKE');
  });
});

describe('the channel ECDH (OpenSSL)', () => {
  it('agrees with the noble implementation and refuses a point off the curve', async () => {
    const { ecdhP384 } = await import('../../src/crypto/secure-channel.ts');
    const { p384KeyPair, p384SharedSecret } = await import('../../src/crypto/index.ts');
    const random = new Prng(8, 'ecdh');
    for (let i = 0; i < 4; i++) {
      const a = p384KeyPair(random);
      const b = p384KeyPair(random);
      expect(ecdhP384(a.privateKey, b.publicKey)).toEqual(p384SharedSecret(a.privateKey, b.publicKey));
      expect(ecdhP384(b.privateKey, a.publicKey)).toEqual(ecdhP384(a.privateKey, b.publicKey));
    }
    const a = p384KeyPair(random);
    const off = p384KeyPair(random).publicKey.slice();
    off[96]! ^= 1;
    let code = '';
    try {
      ecdhP384(a.privateKey, off);
    } catch (error) {
      code = error instanceof EmuError ? error.code : 'untyped';
    }
    expect(code).toBe('ECDH_BAD_PUBLIC_KEY');
  });
});
