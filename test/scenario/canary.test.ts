import { describe, expect, it } from 'vitest';
import { CanarySet, Ledger, findLeaks } from '../../src/scenario/index.ts';
import { Prng } from '../../src/sim/index.ts';

const prng = new Prng(42, 'canary-test');
const secret = prng.bytes(24);

function ledgerWith(canaries: CanarySet) {
  let t = 0;
  return new Ledger(canaries, () => t++);
}

describe('canary scanner', () => {
  it('finds a canary raw, in hex of either case, and in base64/base64url at every alignment', () => {
    const set = new CanarySet();
    set.plant('weights', 'owner', secret);
    for (let prefix = 0; prefix < 7; prefix++) {
      const embedded = Buffer.concat([Buffer.from(prng.bytes(prefix)), Buffer.from(secret), Buffer.from(prng.bytes(5))]);
      const encodings = {
        raw: embedded,
        hex: Buffer.from(embedded.toString('hex')),
        HEX: Buffer.from(embedded.toString('hex').toUpperCase()),
        base64: Buffer.from(`{"blob":"${embedded.toString('base64')}"}`),
        base64url: Buffer.from(embedded.toString('base64url')),
      };
      for (const [name, data] of Object.entries(encodings)) {
        const hits = set.find(new Uint8Array(data)).map((h) => h.encoding);
        // base64url differs from base64 only where the canary's core has + or /; either name is a detection.
        const expected = name === 'base64url' ? expect.arrayContaining([expect.stringMatching(/^base64/)]) : expect.arrayContaining([name]);
        expect(hits, `${name} at prefix ${prefix}`).toEqual(expected);
      }
    }
  });

  it('does not match ciphertext-like bytes or a canary with one byte changed', () => {
    const set = new CanarySet();
    set.plant('weights', 'owner', secret);
    const near = secret.slice();
    near[11]! ^= 1;
    expect(set.find(near)).toEqual([]);
    expect(set.find(prng.bytes(1 << 20))).toEqual([]);
  });

  it('reports a leak to a non-TCB principal, not to the owner or the TCB', () => {
    const set = new CanarySet();
    set.plant('prompt', 'client', secret);
    const ledger = ledgerWith(set);
    ledger.record('client', 'own-input', secret);
    ledger.record('enclave', 'vsock', secret);
    expect(findLeaks(ledger)).toEqual([]);
    ledger.record('parent-admin', 'memory-read', Buffer.from(secret).toString('base64'));
    const leaks = findLeaks(ledger);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatchObject({ canary: 'prompt', principal: 'parent-admin', encoding: 'base64' });
  });

  it('keeps a digest instead of the bytes for bulk data, and still sees the canary in it', () => {
    const set = new CanarySet();
    set.plant('weights', 'owner', secret);
    const ledger = ledgerWith(set);
    const bulk = new Uint8Array(200_000);
    bulk.set(secret, 150_001);
    const observation = ledger.record('parent-admin', 'disk-read', bulk);
    expect(observation.bytes).toBeUndefined();
    expect(observation.size).toBe(200_000);
    expect(findLeaks(ledger)).toHaveLength(1);
    expect(ledger.summary()['parent-admin']).toMatchObject({ observations: 1, canariesSeen: ['weights'] });
  });
});
