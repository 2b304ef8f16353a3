import { describe, expect, it } from 'vitest';
import {
  FramedConnection,
  HEARTBEAT_BYTE,
  HEARTBEAT_PORT,
  VMADDR_CID_PARENT,
  VsockBus,
  createPipe,
  decodeJsonMessage,
  encodeJsonMessage,
} from '../../src/ports/index.ts';
import { Simulator } from '../../src/sim/index.ts';
import { isEmuError } from '../../src/errors.ts';

function world() {
  const sim = new Simulator({ seed: 1 });
  const seen: Array<[string, number]> = [];
  const bus = new VsockBus({ sim, latencyNs: 1_000, observe: (owner, _channel, bytes) => seen.push([owner, bytes.length]) });
  bus.attach(VMADDR_CID_PARENT, 'parent-admin');
  bus.attach(16, 'enclave');
  return { sim, bus, seen };
}

describe('vsock', () => {
  it('carries the boot heartbeat: the enclave sends 0xB7 to (3, 9000) and the parent echoes it', async () => {
    const { sim, bus, seen } = world();
    bus.listen({ cid: VMADDR_CID_PARENT, port: HEARTBEAT_PORT }, (end) => {
      void end.read().then((chunk) => chunk && end.send(chunk));
    });
    const echo = sim.runUntil(
      (async () => {
        const end = await bus.connect(16, { cid: VMADDR_CID_PARENT, port: HEARTBEAT_PORT });
        end.send(Uint8Array.of(HEARTBEAT_BYTE));
        return end.read();
      })(),
    );
    expect(await echo).toEqual(Uint8Array.of(0xb7));
    expect(seen).toEqual([
      ['parent-admin', 1],
      ['enclave', 1],
    ]);
    expect(sim.nowNs).toBe(4_000);
  });

  it('refuses a connection nobody listens for, and reserved or duplicate CIDs', async () => {
    const { sim, bus } = world();
    await expect(sim.runUntil(bus.connect(16, { cid: 3, port: 1 }))).rejects.toSatisfy((e: unknown) =>
      isEmuError(e, 'VSOCK_CONNECTION_REFUSED'),
    );
    for (const cid of [0, 1, 2, 2 ** 32 - 1, -1, 1.5]) {
      expect(() => bus.attach(cid, 'x')).toThrowError(/VSOCK_BAD_CID/);
    }
    expect(() => bus.attach(16, 'again')).toThrowError(/VSOCK_CID_IN_USE/);
    expect(() => bus.listen({ cid: 99, port: 1 }, () => undefined)).toThrowError(/VSOCK_NOT_ATTACHED/);
  });
});

describe('framing', () => {
  it('reassembles messages split and merged across chunks, and reports a cut-off message', async () => {
    const sim = new Simulator({ seed: 1 });
    const [a, b] = createPipe({ sim, channel: 't', latencyNs: 10, owners: ['x', 'y'] });
    const reader = new FramedConnection(b);
    const message = new Uint8Array(1000).map((_, i) => i & 0xff);
    const framed = new Uint8Array(4 + message.length);
    new DataView(framed.buffer).setUint32(0, message.length);
    framed.set(message, 4);
    a.send(framed.subarray(0, 3));
    a.send(framed.subarray(3, 700));
    a.send(framed.subarray(700));
    new FramedConnection(a).send(Uint8Array.of(1, 2, 3));
    a.send(Uint8Array.of(0, 0, 0, 9, 1));
    a.close();
    const got = await sim.runUntil(
      (async () => [await reader.receive(), await reader.receive(), await reader.receive().catch((e: unknown) => e)])(),
    );
    expect(got[0]).toEqual(message);
    expect(got[1]).toEqual(Uint8Array.of(1, 2, 3));
    expect(isEmuError(got[2], 'PORT_FRAME_TRUNCATED')).toBe(true);
  });

  it('validates JSON messages at the boundary', () => {
    const ok = decodeJsonMessage(encodeJsonMessage({ target: 'TrentService.Decrypt', body: '{}' }), 'request');
    expect(ok.target).toBe('TrentService.Decrypt');
    expect(() => decodeJsonMessage(new TextEncoder().encode('{"target":1}'), 'request')).toThrowError(/PORT_BAD_MESSAGE/);
    expect(() => decodeJsonMessage(Uint8Array.of(0xff, 0xfe), 'response')).toThrowError(/PORT_BAD_MESSAGE/);
  });
});
