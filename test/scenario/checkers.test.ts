import { describe, expect, it } from 'vitest';
import { defaultEnclaveImage } from '../../src/enclave/index.ts';
import type { Host } from '../../src/hypervisor/index.ts';
import type { KeyRelease, KmsService } from '../../src/kms/index.ts';
import { AuditLog } from '../../src/sim/index.ts';
import { World } from '../../src/world/index.ts';
import {
  checkAudit,
  checkDelivery,
  checkFailClosed,
  checkFresh,
  checkKeysAttested,
  checkLink,
  checkNoCanary,
  checkScrub,
  emptyRecords,
  runCheckers,
  type CheckInput,
  type CheckVerdict,
  type ScenarioRecords,
} from '../../src/scenario/index.ts';

const world = new World({ seed: 3 });
const input = (records: Partial<ScenarioRecords> = {}, overrides: Partial<CheckInput['world']> = {}): CheckInput => ({
  world: { ledger: world.ledger, host: world.host, kms: world.kms, approvedPcr0: world.approvedPcr0, arns: world.arns, ...overrides },
  records: { ...emptyRecords(), ...records },
});
const only = (verdicts: CheckVerdict[]): CheckVerdict => {
  expect(verdicts).toHaveLength(1);
  return verdicts[0]!;
};

describe('INV-NO-CANARY', () => {
  it('holds while only the owner holds its canary, and names who saw it, where and how once another does', () => {
    const w = new World({ seed: 4 });
    const secret = new TextEncoder().encode('SECRET-CANARY-0123456789abcdef');
    w.ledger.plantCanary('secret', 'owner', secret);
    w.observe('owner', 'own copy', secret);
    const clean = only(checkNoCanary({ ...input(), world: { ...input().world, ledger: w.ledger } }));
    expect(clean.held).toBe(true);
    w.observe('parent-admin', 'disk-read leaked', Buffer.from(secret).toString('hex'));
    const dirty = only(checkNoCanary({ ...input(), world: { ...input().world, ledger: w.ledger } }));
    expect(dirty.held).toBe(false);
    expect(dirty.detail).toBe("secret (owner's) seen by parent-admin via disk-read leaked as hex");
  });
});

const release = (fields: Partial<KeyRelease>): KeyRelease => ({ operation: 'Decrypt', keyId: 'k1', caller: world.arns.parentRole, via: 'recipient', timeMs: 1_000_000, ...fields });
const kmsWith = (releases: KeyRelease[]) => ({ releases, audit: world.kms.audit }) as unknown as KmsService;

describe('INV-KEYS-ATTESTED', () => {
  it('accepts releases to the approved image and plaintext to the owner; refuses another PCR0 or plaintext to the parent', () => {
    const good = [release({ pcr0: world.approvedPcr0 }), release({ via: 'plaintext', caller: world.arns.owner, operation: 'GenerateDataKey' })];
    expect(only(checkKeysAttested(input({}, { kms: kmsWith(good) }))).held).toBe(true);
    const debug = only(checkKeysAttested(input({}, { kms: kmsWith([...good, release({ pcr0: '0'.repeat(96) })]) })));
    expect(debug.held).toBe(false);
    expect(debug.detail).toContain('via recipient');
    const plain = only(checkKeysAttested(input({}, { kms: kmsWith([release({ via: 'plaintext' })]) })));
    expect(plain.held).toBe(false);
    expect(plain.detail).toContain(`via plaintext to ${world.arns.parentRole}`);
  });
});

describe('INV-FRESH', () => {
  it('refuses a release on a stale document and a nonce used twice; holds otherwise', () => {
    const fresh = [release({ documentTimeMs: 1_000_000 - 60_000, nonceHex: 'aa' }), release({ documentTimeMs: 999_000, nonceHex: 'bb' })];
    expect(only(checkFresh(input({}, { kms: kmsWith(fresh) }))).held).toBe(true);
    const stale = only(checkFresh(input({}, { kms: kmsWith([release({ documentTimeMs: 1_000_000 - 6 * 60_000 })]) })));
    expect(stale.held).toBe(false);
    expect(stale.detail).toMatch(/360 s old/);
    const reused = only(checkFresh(input({}, { kms: kmsWith([...fresh, release({ documentTimeMs: 999_500, nonceHex: 'aa' })]) })));
    expect(reused.held).toBe(false);
    expect(reused.detail).toMatch(/nonce aa… used for more than one release/);
  });
});

describe('INV-AUDIT', () => {
  it('holds on a real host, fails on an outcome with no attempt, a broken chain, or an unaudited instance', () => {
    expect(only(checkAudit(input())).held).toBe(true);
    const log = new AuditLog('host', () => 0);
    log.append('operator', 'instances.list', 'attempt');
    log.append('operator', 'instances.list', 'ok');
    const hostWith = (audit: unknown, instances: unknown[] = []) =>
      ({ audit, instances, enclaves: [], releasedEnclaves: [] }) as unknown as Host;
    expect(only(checkAudit(input({}, { host: hostWith(log) }))).held).toBe(true);

    const orphan = new AuditLog('host', () => 0);
    orphan.append('operator', 'instances.stop', 'ok');
    expect(only(checkAudit(input({}, { host: hostWith(orphan) }))).detail).toMatch(/instances.stop by operator took effect with no prior audit entry/);

    const tampered = log.entries.map((e, i) => (i === 0 ? { ...e, actor: 'someone-else' } : e));
    const broken = only(checkAudit(input({}, { host: hostWith({ entries: tampered, verify: () => log.verify(tampered) }) })));
    expect(broken).toMatchObject({ held: false, detail: 'host audit chain broken at entry 0' });

    const journalled = (effects: unknown[]) => ({ audit: log, instances: [], enclaves: [], releasedEnclaves: [], effects }) as unknown as Host;
    const attempt = log.entries[0]!;
    expect(only(checkAudit(input({}, { host: journalled([{ actor: 'operator', action: 'instances.list', auditHash: attempt.hash }]) }))).held).toBe(true);
    const unaudited = only(checkAudit(input({}, { host: journalled([{ actor: 'operator', action: 'instances.stop', auditHash: null }]) })));
    expect(unaudited).toMatchObject({ held: false, detail: 'unaudited effects: instances.stop by operator' });

    const ghost = only(checkAudit(input({}, { host: hostWith(log, [{ instanceId: 'i-ghost' }]) })));
    expect(ghost).toMatchObject({ held: false, detail: 'unaudited effects: instance i-ghost exists' });
  });
});

describe('INV-SCRUB', () => {
  const terminateDirty = (w: World) => {
    const record = w.host.launchEnclave(w.parent, defaultEnclaveImage(), { memoryMiB: 64, cpuCount: 1, startApplication: false });
    const first = record.frames[0]!;
    w.host.memory.writeFrame(first, 0, new Uint8Array([1, 2, 3]));
    w.host.terminateEnclave(record.enclaveId, 'parent-admin');
    return { world: { ledger: w.ledger, host: w.host, kms: w.kms, approvedPcr0: w.approvedPcr0, arns: w.arns }, records: emptyRecords() };
  };
  it('holds when the host scrubbed the released frames, and counts the dirty ones when it did not', () => {
    const clean = only(checkScrub(terminateDirty(new World({ seed: 5 }))));
    expect(clean).toMatchObject({ held: true, detail: '16384 released enclave pages all zero' });
    const dirty = only(checkScrub(terminateDirty(new World({ seed: 5, defences: { scrubOnRelease: false } }))));
    expect(dirty).toMatchObject({ held: false, detail: '1 of 16384 released enclave pages still hold data' });
  });
});

describe('records-based checkers', () => {
  it('INV-FAIL-CLOSED: holds vacuously, holds on typed unchanged failures, fails on an untyped one or a changed state', () => {
    expect(only(checkFailClosed(input())).detail).toMatch(/vacuously/);
    const ok = { label: 'flip a byte', typed: true, stateUnchanged: true, detail: 'AEAD_TAG_MISMATCH' };
    expect(only(checkFailClosed(input({ failClosed: [ok] }))).held).toBe(true);
    expect(only(checkFailClosed(input({ failClosed: [ok, { ...ok, typed: false }] }))).detail).toMatch(/flip a byte: untyped failure/);
    expect(only(checkFailClosed(input({ failClosed: [{ ...ok, stateUnchanged: false }] }))).detail).toMatch(/state changed/);
  });

  it('INV-LINK: vacuous without events; fails on an unprotected message, an accepted forgery, or a (key, IV) reuse', () => {
    expect(only(checkLink(input())).detail).toMatch(/vacuously.*recordLink/);
    const genuine = { link: 'gpu0', protected: true, kind: 'genuine', accepted: true, keyIv: '01' } as const;
    const rejected = { ...genuine, kind: 'replayed', accepted: false, keyIv: '02' } as const;
    expect(only(checkLink(input({ links: [genuine, rejected] }))).held).toBe(true);
    expect(only(checkLink(input({ links: [{ ...genuine, protected: false }] }))).held).toBe(false);
    expect(only(checkLink(input({ links: [genuine, { ...rejected, accepted: true }] }))).detail).toMatch(/accepted a replayed message/);
    expect(only(checkLink(input({ links: [genuine, { ...genuine }] }))).detail).toMatch(/reused \(key, IV\) 01/);
  });

  it('INV-DELIVERY: exactly once intact or a typed error', () => {
    expect(only(checkDelivery(input())).detail).toMatch(/vacuously/);
    const once = { messageId: 'm1', deliveredIntact: 1, deliveredCorrupt: 0, typedError: null };
    const reported = { messageId: 'm2', deliveredIntact: 0, deliveredCorrupt: 0, typedError: 'FABRIC_TIMEOUT' };
    expect(only(checkDelivery(input({ deliveries: [once, reported] }))).held).toBe(true);
    expect(only(checkDelivery(input({ deliveries: [{ ...once, deliveredIntact: 2 }] }))).held).toBe(false);
    expect(only(checkDelivery(input({ deliveries: [{ ...once, deliveredIntact: 0 }] }))).detail).toMatch(/0 intact, 0 corrupt deliveries, no error/);
    expect(only(checkDelivery(input({ deliveries: [{ ...reported, deliveredCorrupt: 1 }] }))).held).toBe(false);
  });
});

describe('runCheckers', () => {
  it('runs one checker per invariant in a fixed order, and reports a checker that throws instead of passing', () => {
    const all = runCheckers(input());
    expect(all.verdicts.map((v) => v.invariant)).toEqual([
      'INV-NO-CANARY', 'INV-KEYS-ATTESTED', 'INV-LINK', 'INV-FAIL-CLOSED', 'INV-AUDIT', 'INV-FRESH', 'INV-SCRUB', 'INV-DELIVERY',
    ]);
    expect(all.failed).toEqual([]);
    const broken = runCheckers(input({}, { kms: { get releases(): never { throw new Error('no record') }, audit: world.kms.audit } as unknown as KmsService }));
    expect(broken.failed).toEqual(['INV-KEYS-ATTESTED', 'INV-FRESH']);
    expect(broken.verdicts.find((v) => v.invariant === 'INV-FRESH')).toMatchObject({ held: false, detail: 'checker could not run: no record' });
  });
});
