import { describe, expect, it } from 'vitest';
import { CanarySet, Ledger, type Principal } from '../../src/scenario/index.ts';
import { ARROWS_MAX, buildRun, compressRounds, dissectMessages, groupArrows, mergeMarks, stopsFromTrace } from '../../src/trace-view/index.ts';
import { MessageLog } from '../../src/world/index.ts';

/** A tiny world stand-in: a ledger, a message log, and a way to send framed bytes between principals. */
function harness() {
  let nowNs = 0;
  const ledger = new Ledger(new CanarySet(), () => nowNs);
  const log = new MessageLog();
  const framed = (payload: Uint8Array) => {
    const out = new Uint8Array(4 + payload.length);
    new DataView(out.buffer).setUint32(0, payload.length);
    out.set(payload, 4);
    return out;
  };
  const send = (from: Principal, to: Principal, channel: string, payload: Uint8Array | string, options: { raw?: boolean; sealed?: boolean; observedBy?: Principal } = {}) => {
    nowNs += 1000;
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    const observation = ledger.record(options.observedBy ?? to, channel, options.raw ? bytes : framed(bytes));
    log.record({ timeNs: nowNs, from, to, channel, observation, ...(options.observedBy ? { observedBy: options.observedBy } : {}), ...(options.sealed === undefined ? {} : { sealed: options.sealed }) });
  };
  const dissect = () =>
    dissectMessages(log.events, { observations: ledger.observations, canaryOwners: new Map(ledger.canaries.all.map((c) => [c.name, c.owner])), dataKeyHolders: ['owner', 'kms', 'enclave'] });
  return { ledger, log, send, dissect };
}

const hello = (type: number) => Uint8Array.from([0x4e, 0x45, 0x53, 0x43, type, 1, 2, 3, 4, 5]);
const record = Uint8Array.from([0x17, 0, 1, 0, 0, 0, 9, 0xaa, 0xbb, 0xcc, 0xdd]);

describe('dissector', () => {
  it('a secure-channel record is ciphertext readable by the two ends of the handshake, not by the relay', () => {
    const h = harness();
    h.send('enclave', 'parent-admin', 'vsock 16:49157->3:8000', hello(1));
    h.send('parent-admin', 'kms', 'kms-endpoint role', hello(1));
    h.send('kms', 'parent-admin', 'kms-endpoint role', hello(2));
    h.send('parent-admin', 'enclave', 'vsock 16:49157->3:8000', hello(2));
    h.send('enclave', 'parent-admin', 'vsock 16:49157->3:8000', record);
    const messages = h.dissect();
    expect(messages[0]).toMatchObject({ protection: 'plaintext', readableBy: ['enclave', 'parent-admin'], what: 'secure-channel ClientHello' });
    expect(messages[4]).toMatchObject({ protection: 'ciphertext', readableBy: ['enclave', 'kms'] });
    expect(messages[4]!.channel).toBe('vsock 16->3:8000');
  });

  it('whoever answers the handshake holds the record keys: a parent that plays KMS can read the records', () => {
    const h = harness();
    h.send('enclave', 'parent-admin', 'vsock 16:49157->3:8000', hello(1));
    h.send('parent-admin', 'enclave', 'vsock 16:49157->3:8000', hello(2));
    h.send('enclave', 'parent-admin', 'vsock 16:49157->3:8000', record);
    expect(h.dissect()[2]).toMatchObject({ protection: 'ciphertext', readableBy: ['enclave', 'parent-admin'] });
  });

  it('KMS JSON, logs and the heartbeat are plaintext readable by both ends', () => {
    const h = harness();
    h.send('owner', 'kms', 'kms-endpoint owner', JSON.stringify({ target: 'TrentService.CreateKey', body: '{}' }));
    h.send('enclave', 'parent-admin', 'vsock 16:49153->3:8002', 'boot ok');
    h.send('enclave', 'parent-admin', 'vsock 16:49152->3:9000', Uint8Array.of(0xb7), { raw: true });
    const [kms, log, beat] = h.dissect();
    expect(kms).toMatchObject({ protection: 'plaintext', readableBy: ['owner', 'kms'], what: 'KMS CreateKey request' });
    expect(log).toMatchObject({ protection: 'plaintext', what: 'app log line' });
    expect(beat).toMatchObject({ protection: 'plaintext', what: 'heartbeat' });
  });

  it('a canary in the bytes makes a message plaintext and a leak when a non-owner outside the TCB could read it', () => {
    const h = harness();
    const secret = new TextEncoder().encode('CANARY-weights-0123456789');
    h.ledger.plantCanary('weights', 'owner', secret);
    // Bounce-buffer bytes the writer called sealed but that carry the secret in the clear.
    const bytes = new Uint8Array(64);
    bytes.set(secret, 10);
    h.send('enclave', 'device', 'device 5e8dd59e staging 0', bytes, { raw: true, sealed: true, observedBy: 'parent-admin' });
    h.send('enclave', 'device', 'device 5e8dd59e staging 0', new Uint8Array(64).fill(7), { raw: true, sealed: true, observedBy: 'parent-admin' });
    const [leaked, sealed] = h.dissect();
    expect(leaked).toMatchObject({ protection: 'plaintext', leak: true, canaries: ['weights'] });
    expect(leaked!.readableBy).toContain('parent-admin');
    expect(sealed).toMatchObject({ protection: 'ciphertext', leak: false, readableBy: ['enclave', 'device'] });
  });

  it('a canary planted after the bytes passed is still seen (the ledger rescans; the dissector reads the ledger as it ended)', () => {
    const h = harness();
    const key = new TextEncoder().encode('DATAKEY-0123456789abcdef');
    h.send('kms', 'owner', 'kms-endpoint owner', JSON.stringify({ status: 200, body: Buffer.from(key).toString('base64') }));
    h.ledger.plantCanary('data-key', 'owner', key);
    const [reply] = h.dissect();
    expect(reply!.canaries).toEqual(['data-key']);
    // The owner's own key, from KMS (TCB): carried rightfully, not a leak.
    expect(reply!.leak).toBe(false);
  });

  it('an unsealed bounce buffer and a parent-written slot are plaintext', () => {
    const h = harness();
    h.send('enclave', 'device', 'device 5e8dd59e staging 0', new Uint8Array(32), { raw: true, sealed: false, observedBy: 'parent-admin' });
    h.send('parent-admin', 'device', 'device 5e8dd59e staging 0', new Uint8Array(32), { raw: true });
    const [plain, parent] = h.dissect();
    expect(plain).toMatchObject({ protection: 'plaintext', what: 'bounce buffer, not sealed', readableBy: ['enclave', 'device', 'parent-admin'] });
    expect(parent).toMatchObject({ protection: 'plaintext', what: 'the parent writes a staging slot' });
  });

  it('file replies take their kind from the request on the same connection', () => {
    const h = harness();
    const ch = 'vsock 16:49156->3:8001';
    h.send('enclave', 'parent-admin', ch, JSON.stringify({ op: 'get', path: 'model/weights.enc' }));
    h.send('parent-admin', 'enclave', ch, Uint8Array.of(0, 1, 2, 3));
    h.send('enclave', 'parent-admin', ch, JSON.stringify({ op: 'get', path: 'model/manifest.json' }));
    h.send('parent-admin', 'enclave', ch, Uint8Array.of(0, 0x7b, 0x7d));
    const [, weights, , manifest] = h.dissect();
    expect(weights).toMatchObject({ protection: 'ciphertext', readableBy: ['owner', 'kms', 'enclave'] });
    expect(manifest).toMatchObject({ protection: 'plaintext' });
  });

  it('unknown bytes are plaintext: ciphertext is claimed only for formats the emulator seals', () => {
    const h = harness();
    h.send('enclave', 'parent-admin', 'vsock 16:49170->3:7777', Uint8Array.of(0x17, 1, 2, 3));
    expect(h.dissect()[0]).toMatchObject({ protection: 'plaintext', readableBy: ['enclave', 'parent-admin'] });
  });
});

describe('run model', () => {
  it('groups consecutive alike messages, folds repeated rounds, and caps arrows with a count of the rest', () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.send('enclave', 'device', 'device a staging 0', new Uint8Array(16).fill(i + 1), { raw: true, sealed: true, observedBy: 'parent-admin' });
    const grouped = groupArrows(h.dissect());
    expect(grouped).toHaveLength(1);
    expect(grouped[0]).toMatchObject({ count: 5, bytes: 80 });

    const r = harness();
    for (let i = 0; i < 4; i++) {
      r.send('enclave', 'device', 'device a staging 0', new Uint8Array(16).fill(i + 1), { raw: true, sealed: true, observedBy: 'parent-admin' });
      r.send('device', 'enclave', 'device a staging 0', new Uint8Array(8).fill(i + 1), { raw: true, sealed: true, observedBy: 'parent-admin' });
    }
    const rounds = compressRounds(groupArrows(r.dissect()));
    expect(rounds.map((a) => [a.from, a.rounds, a.bytes])).toEqual([['enclave', 4, 64], ['device', 4, 32]]);

    const big = harness();
    // A different service each time, so nothing groups or folds: one arrow per message.
    for (let i = 0; i < ARROWS_MAX + 7; i++) big.send('enclave', 'parent-admin', `vsock 16:1->3:${10_000 + i}`, `line ${i}`);
    const run = buildRun({ heading: 'h', summary: 's', messages: big.log.events, observations: big.ledger.observations, canaryOwners: new Map(), verdicts: [] });
    expect(run.arrows).toHaveLength(ARROWS_MAX);
    expect(run.omittedMessages).toBe(7);
    expect(run.messageCount).toBe(ARROWS_MAX + 7);
  });

  it('steps that ended together become one divider; refusals in the trace become stops', () => {
    expect(mergeMarks([{ timeNs: 1, title: 'a' }, { timeNs: 5, title: 'b' }, { timeNs: 5, title: 'c' }])).toEqual([{ timeNs: 1, title: 'a' }, { timeNs: 5, title: 'b · c' }]);
    const stops = stopsFromTrace([
      { timeNs: 1, seq: 0, kind: 'kms.call', fields: { operation: 'Decrypt', outcome: 'ok', code: null } },
      { timeNs: 2, seq: 1, kind: 'kms.call', fields: { operation: 'Decrypt', outcome: 'denied', code: 'KMS_POLICY_DENIED' } },
      { timeNs: 3, seq: 2, kind: 'enclave.failed', fields: { code: 'ENCLAVE_APP_FAILED', message: 'kms refused' } },
      { timeNs: 4, seq: 3, kind: 'vsock.connect', fields: {} },
    ]);
    expect(stops.map((s) => s.timeNs)).toEqual([2, 3]);
    expect(stops[0]!.title).toContain('KMS_POLICY_DENIED');
  });
});
