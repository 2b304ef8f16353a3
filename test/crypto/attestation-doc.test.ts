import { describe, expect, it } from 'vitest';
import {
  AttestationVerifier,
  type AttestationDocument,
  concatBytes,
  encodeAttestationPayload,
  encodeCbor,
  encodeCoseSign1Es384,
  parseAttestationDocument,
  signAttestationDocument,
  toHex,
} from '../../src/crypto/index.ts';
import { CborWriter } from '../../src/crypto/cbor.ts';
import { Prng } from '../../src/sim/prng.ts';
import {
  AWS_ROOT_SHA256,
  EPOCH_MS,
  MODULE_ID,
  awsRootDer,
  buildPki,
  errorCode,
  expectCode,
  fixture,
  sampleDoc,
} from './attestation-helpers.ts';

const REAL_GOOD = [
  { file: 'real-2022-10-production-signed-eif.cbor', timestamp: 1665651482136, form: 'definite', debug: false },
  { file: 'real-2022-10-debug-mode.cbor', timestamp: 1665582606081, form: 'definite', debug: true },
  { file: 'real-2026-02-production-indefinite-map.cbor', timestamp: 1770065027502, form: 'indefinite', debug: false },
] as const;
const REAL_BAD_SIGNATURE = { file: 'real-2024-07-BAD-SIGNATURE.cbor', timestamp: 1721770180771 };
const LATER_MS = Date.UTC(2026, 10, 25);

describe('real Nitro documents', () => {
  const aws = new AttestationVerifier(awsRootDer());

  it('pins the AWS root by its published fingerprint', () => {
    expect(aws.root.fingerprintSha256).toBe(AWS_ROOT_SHA256);
  });

  for (const sample of REAL_GOOD) {
    it(`${sample.file} verifies at its own timestamp`, () => {
      const { doc } = parseAttestationDocument(fixture(sample.file));
      expect(doc.timestamp).toBe(sample.timestamp);
      const result = aws.verify(fixture(sample.file), { atMs: doc.timestamp, maxAgeMs: 0 });
      expect(result.debugMode).toBe(sample.debug);
      expect(result.doc.pcrs.size).toBe(16);
      expect(result.doc.cabundle.length).toBe(4);
      expect(result.leaf.subject).toContain(doc.moduleId);
    });
  }

  it('rejects the document with a bad signature, though its chain is valid', () => {
    const bytes = fixture(REAL_BAD_SIGNATURE.file);
    expect(parseAttestationDocument(bytes).doc.timestamp).toBe(REAL_BAD_SIGNATURE.timestamp);
    expectCode(() => aws.verify(bytes, { atMs: REAL_BAD_SIGNATURE.timestamp }), 'ATT_BAD_SIGNATURE');
  });

  it('refuses every real document once its chain has expired', () => {
    for (const file of [...REAL_GOOD.map((s) => s.file), REAL_BAD_SIGNATURE.file]) {
      expectCode(() => aws.verify(fixture(file), { atMs: LATER_MS }), 'CHAIN_EXPIRED');
    }
  });

  it('refuses them when another root is pinned', () => {
    const ours = new AttestationVerifier(buildPki(1).root.der);
    for (const sample of REAL_GOOD) {
      expectCode(() => ours.verify(fixture(sample.file), { atMs: sample.timestamp }), 'ATT_ROOT_MISMATCH');
    }
  });

  it('re-encodes each payload byte for byte in its own map form', () => {
    for (const sample of [...REAL_GOOD, { ...REAL_BAD_SIGNATURE, form: 'definite' as const }]) {
      const { cose, doc } = parseAttestationDocument(fixture(sample.file));
      expect(toHex(encodeAttestationPayload(doc, sample.form))).toBe(toHex(cose.payload));
      const other = encodeAttestationPayload(doc, sample.form === 'definite' ? 'indefinite' : 'definite');
      const body = (p: Uint8Array, form: string): string => toHex(form === 'definite' ? p.subarray(1) : p.subarray(1, -1));
      expect(body(other, sample.form === 'definite' ? 'indefinite' : 'definite')).toBe(body(cose.payload, sample.form));
      expect(cose.payload[0]).toBe(sample.form === 'definite' ? 0xa9 : 0xbf);
    }
  });

  it('rejects single-bit changes anywhere in a real document', () => {
    const bytes = fixture(REAL_GOOD[2].file);
    const random = new Prng(2026, 'flip-real');
    for (let i = 0; i < 120; i++) {
      const position = i < 16 ? i : random.below(bytes.length);
      const changed = bytes.slice();
      changed[position]! ^= 1 << random.below(8);
      expect(errorCode(() => aws.verify(changed, { atMs: REAL_GOOD[2].timestamp }))).toMatch(/^[A-Z0-9_]+$/);
    }
  });
});

describe('emulated documents', () => {
  const pki = buildPki(21);
  const verifier = new AttestationVerifier(pki.root.der);
  const doc = sampleDoc(pki);
  const AT = doc.timestamp + 1000;

  it('encode exactly like a 2025+ NSM and verify in both map forms', () => {
    const bytes = signAttestationDocument(doc, pki.leaf.keyPair.privateKey);
    expect(toHex(bytes.subarray(0, 8))).toBe('8444a1013822a059');
    const payloadLength = (bytes[8]! << 8) | bytes[9]!;
    expect(bytes[10]).toBe(0xbf);
    expect(bytes[10 + payloadLength - 1]).toBe(0xff);
    expect(toHex(bytes.subarray(10 + payloadLength, 12 + payloadLength))).toBe('5860');
    expect(bytes.length).toBe(12 + payloadLength + 96);
    const payload = bytes.subarray(10, 10 + payloadLength);
    const keys = ['module_id', 'digest', 'timestamp', 'pcrs', 'certificate', 'cabundle', 'public_key', 'user_data', 'nonce'];
    const offsets = keys.map((k) => Buffer.from(payload).indexOf(Buffer.from(encodeCbor(k))));
    expect(offsets.every((o, i) => o > 0 && (i === 0 || o > offsets[i - 1]!))).toBe(true);
    expect(toHex(payload.subarray(offsets[2]! + 10, offsets[2]! + 19))).toBe(`1b${doc.timestamp.toString(16).padStart(16, '0')}`);
    expect(toHex(payload.subarray(payload.length - 8))).toBe(`${toHex(encodeCbor('nonce'))}f6ff`);

    for (const form of ['indefinite', 'definite'] as const) {
      const result = verifier.verify(signAttestationDocument(doc, pki.leaf.keyPair.privateKey, form), { atMs: AT, maxAgeMs: 5000 });
      expect(result.debugMode).toBe(false);
      expect(result.doc).toEqual(doc);
    }
  });

  it('reports debug mode when PCR0, 1, 2 and 8 are zero', () => {
    const pcrs = new Map(doc.pcrs);
    for (const i of [0, 1, 2, 8]) pcrs.set(i, new Uint8Array(48));
    const debugDoc = signAttestationDocument({ ...doc, pcrs }, pki.leaf.keyPair.privateKey);
    expect(verifier.verify(debugDoc, { atMs: AT }).debugMode).toBe(true);
  });

  it('enforces freshness only when asked, with inclusive bounds', () => {
    const bytes = signAttestationDocument(doc, pki.leaf.keyPair.privateKey);
    verifier.verify(bytes, { atMs: doc.timestamp + 60_000, maxAgeMs: 60_000 });
    verifier.verify(bytes, { atMs: doc.timestamp, maxAgeMs: 0 });
    expectCode(() => verifier.verify(bytes, { atMs: doc.timestamp + 60_001, maxAgeMs: 60_000 }), 'ATT_STALE');
    expectCode(() => verifier.verify(bytes, { atMs: doc.timestamp - 1, maxAgeMs: 60_000 }), 'ATT_FROM_FUTURE');
    verifier.verify(bytes, { atMs: doc.timestamp - 1 });
    expectCode(() => verifier.verify(bytes, { atMs: EPOCH_MS + 4 * 3_600_000 }), 'CHAIN_EXPIRED');
    expectCode(() => verifier.verify(bytes, { atMs: EPOCH_MS }), 'CHAIN_NOT_YET_VALID');
  });

  it('refuses a document signed by any key but the leaf, or chained to another root', () => {
    const other = buildPki(22);
    expectCode(() => verifier.verify(signAttestationDocument(doc, other.leaf.keyPair.privateKey), { atMs: AT }), 'ATT_BAD_SIGNATURE');
    expectCode(() => verifier.verify(signAttestationDocument(doc, pki.chain.instance.keyPair.privateKey), { atMs: AT }), 'ATT_BAD_SIGNATURE');
    // An attacker's own chain that names our root in cabundle[0]: the pinned key decides.
    const forged = sampleDoc(other, { cabundle: [pki.root.der, ...other.chain.cabundle.slice(1)] });
    expectCode(() => verifier.verify(signAttestationDocument(forged, other.leaf.keyPair.privateKey), { atMs: AT }), 'CHAIN_UNTRUSTED_ROOT');
    expectCode(() => verifier.verify(signAttestationDocument(sampleDoc(other), other.leaf.keyPair.privateKey), { atMs: AT }), 'ATT_ROOT_MISMATCH');
  });

  it('fails with a typed error for every sampled single-bit change', () => {
    const bytes = signAttestationDocument(doc, pki.leaf.keyPair.privateKey);
    const random = new Prng(99, 'flip');
    const codes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      // The envelope head and the signature get dense coverage; the rest is sampled.
      const position = i < 24 ? i : i < 48 ? bytes.length - 1 - (i - 24) * 4 : random.below(bytes.length);
      const changed = bytes.slice();
      changed[position]! ^= 1 << random.below(8);
      codes.add(errorCode(() => verifier.verify(changed, { atMs: AT })));
    }
    expect(codes.has('ATT_BAD_SIGNATURE')).toBe(true);
    expect([...codes].every((code) => /^(ATT|COSE|CBOR|CHAIN|X509)_[A-Z_]+$/.test(code))).toBe(true);
  });

  it('keeps nothing that aliases the caller\'s buffer (a reused Buffer cannot change a verified result or the caches)', () => {
    const bytes = signAttestationDocument(doc, pki.leaf.keyPair.privateKey);
    const shared = Buffer.from(bytes);
    const result = verifier.verify(shared, { atMs: AT });
    const before = { cert: toHex(result.doc.certificate), leafKey: toHex(result.leaf.p384PublicKey!), tbs: toHex(result.leaf.tbs) };
    shared.fill(0x41);
    expect(toHex(result.doc.certificate)).toBe(before.cert);
    expect(toHex(result.leaf.p384PublicKey!)).toBe(before.leafKey);
    expect(toHex(result.leaf.tbs)).toBe(before.tbs);
    expect(Buffer.isBuffer(result.doc.certificate)).toBe(false);
    // Nor can changes to what we returned reach the verifier's caches: the same document verifies again.
    result.leaf.p384PublicKey!.fill(0);
    result.leaf.signature.fill(0);
    verifier.verify(bytes, { atMs: AT });
  });

  it('is deterministic: the same seed gives the same root, chain and document bytes', () => {
    const again = buildPki(21);
    expect(toHex(again.root.der)).toBe(toHex(pki.root.der));
    expect(again.chain.cabundle.map(toHex)).toEqual(pki.chain.cabundle.map(toHex));
    const a = signAttestationDocument(sampleDoc(again), again.leaf.keyPair.privateKey);
    const b = signAttestationDocument(doc, pki.leaf.keyPair.privateKey);
    expect(toHex(a)).toBe(toHex(b));
  });
});

/** Payload map built entry by entry, so tests can put any encoding in any field. */
function rawPayload(entries: readonly (readonly [string, Uint8Array])[], form: 'definite' | 'indefinite' = 'indefinite'): Uint8Array {
  const writer = new CborWriter();
  if (form === 'indefinite') writer.byte(0xbf);
  else writer.head(5, entries.length);
  for (const [key, value] of entries) writer.text(key).raw(value);
  if (form === 'indefinite') writer.byte(0xff);
  return writer.finish();
}

function fieldsOf(doc: AttestationDocument): [string, Uint8Array][] {
  return [
    ['module_id', encodeCbor(doc.moduleId)],
    ['digest', encodeCbor(doc.digest)],
    ['timestamp', encodeCbor(BigInt(doc.timestamp))],
    ['pcrs', encodeCbor(doc.pcrs)],
    ['certificate', encodeCbor(doc.certificate)],
    ['cabundle', encodeCbor(doc.cabundle)],
    ['public_key', encodeCbor(doc.publicKey)],
    ['user_data', encodeCbor(doc.userData)],
    ['nonce', encodeCbor(doc.nonce)],
  ];
}

describe('parseAttestationDocument: field rules', () => {
  const pki = buildPki(31);
  const doc = sampleDoc(pki);
  const key = pki.leaf.keyPair.privateKey;
  const base = fieldsOf(doc);
  const withField = (name: string, value: Uint8Array): [string, Uint8Array][] => base.map(([k, v]) => [k, k === name ? value : v]);
  const parse = (entries: readonly (readonly [string, Uint8Array])[]): unknown =>
    parseAttestationDocument(encodeCoseSign1Es384(rawPayload(entries), key));
  const codeOf = (entries: readonly (readonly [string, Uint8Array])[]): string => errorCode(() => parse(entries));
  const pcrsWith = (entries: [number, Uint8Array][]): Uint8Array => encodeCbor(new Map(entries));

  it('accepts the hand-built baseline, in both map forms, and absent optional fields', () => {
    expect(parse(base)).toBeDefined();
    expect(parseAttestationDocument(encodeCoseSign1Es384(rawPayload(base, 'definite'), key)).doc).toEqual(doc);
    const { doc: sparse } = parseAttestationDocument(encodeCoseSign1Es384(rawPayload(base.slice(0, 6)), key));
    expect([sparse.publicKey, sparse.userData, sparse.nonce]).toEqual([null, null, null]);
  });

  it('refuses a float timestamp, even an integral one', () => {
    const float = new Uint8Array(9);
    float[0] = 0xfb;
    new DataView(float.buffer).setFloat64(1, doc.timestamp);
    expect(codeOf(withField('timestamp', float))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('timestamp', Uint8Array.of(0xf9, 0x3c, 0x00)))).toBe('ATT_BAD_FIELD');
  });

  it('refuses other bad timestamps', () => {
    expect(codeOf(withField('timestamp', encodeCbor(0)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('timestamp', encodeCbor(-5)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('timestamp', encodeCbor(2n ** 60n)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('timestamp', encodeCbor(String(doc.timestamp))))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('timestamp', concatBytes(Uint8Array.of(0xc1), encodeCbor(BigInt(doc.timestamp)))))).toBe('CBOR_UNEXPECTED_TAG');
  });

  it('refuses duplicate keys, unknown keys and non-map payloads', () => {
    expect(codeOf([...base, ['nonce', encodeCbor(null)]])).toBe('CBOR_DUPLICATE_KEY');
    expect(codeOf([...base, ['extra', encodeCbor(1)]])).toBe('ATT_MALFORMED');
    const spelledTwice = concatBytes(Uint8Array.of(0xbf), ...base.map(([k, v]) => concatBytes(encodeCbor(k), v)), Uint8Array.of(0x7f, 0x65), Buffer.from('nonce'), Uint8Array.of(0xff, 0xf6, 0xff));
    expectCode(() => parseAttestationDocument(encodeCoseSign1Es384(spelledTwice, key)), 'CBOR_DUPLICATE_KEY');
    expectCode(() => parseAttestationDocument(encodeCoseSign1Es384(encodeCbor([1, 2]), key)), 'ATT_MALFORMED');
    expectCode(() => parseAttestationDocument(encodeCoseSign1Es384(encodeCbor(new Map([[1, 2]])), key)), 'ATT_MALFORMED');
  });

  it('refuses trailing bytes in the payload and after the envelope', () => {
    expectCode(() => parseAttestationDocument(encodeCoseSign1Es384(concatBytes(rawPayload(base), Uint8Array.of(0)), key)), 'CBOR_TRAILING_BYTES');
    const good = encodeCoseSign1Es384(rawPayload(base), key);
    expectCode(() => parseAttestationDocument(concatBytes(good, Uint8Array.of(0xf6))), 'CBOR_TRAILING_BYTES');
  });

  it('reports each missing mandatory field', () => {
    for (const name of ['module_id', 'digest', 'timestamp', 'pcrs', 'certificate', 'cabundle']) {
      expect(codeOf(base.filter(([k]) => k !== name))).toBe('ATT_MISSING_FIELD');
    }
  });

  it('checks PCR indexes, lengths and count', () => {
    const pcr = (n: number): Uint8Array => new Uint8Array(n).fill(1);
    expect(codeOf(withField('pcrs', pcrsWith([[0, pcr(49)]])))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('pcrs', pcrsWith([[0, pcr(47)]])))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('pcrs', pcrsWith([[32, pcr(48)]])))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('pcrs', pcrsWith([[-1, pcr(48)]])))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('pcrs', encodeCbor(new Map([['0', pcr(48)]]))))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('pcrs', encodeCbor(new Map())))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('pcrs', encodeCbor([pcr(48)])))).toBe('ATT_BAD_FIELD');
    expect(parse(withField('pcrs', pcrsWith([[31, pcr(32)], [0, pcr(64)]])))).toBeDefined();
    const all = Array.from({ length: 32 }, (_, i): [number, Uint8Array] => [i, pcr(48)]);
    expect(parse(withField('pcrs', pcrsWith(all)))).toBeDefined();
    const tooMany = encodeCbor(new Map<unknown, Uint8Array>([...all, [32n, pcr(48)]]));
    expect(codeOf(withField('pcrs', tooMany))).toBe('ATT_BAD_FIELD');
  });

  it('checks the other fields’ types and sizes', () => {
    const bytes = (n: number): Uint8Array => encodeCbor(new Uint8Array(n).fill(7));
    expect(codeOf(withField('module_id', encodeCbor('')))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('module_id', bytes(4)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('digest', encodeCbor('SHA256')))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('certificate', bytes(0)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('certificate', bytes(1025)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('certificate', encodeCbor('cert')))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('cabundle', encodeCbor([])))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('cabundle', encodeCbor([new Uint8Array(1025)])))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('cabundle', encodeCbor(new Uint8Array(10))))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('public_key', bytes(0)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('public_key', bytes(1025)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('user_data', bytes(1025)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('nonce', bytes(1025)))).toBe('ATT_BAD_FIELD');
    expect(codeOf(withField('nonce', encodeCbor(false)))).toBe('ATT_BAD_FIELD');
    expect(parse(withField('user_data', bytes(0)))).toBeDefined();
    expect(parse(withField('nonce', bytes(1024)))).toBeDefined();
    expect(parse(withField('public_key', bytes(1024)))).toBeDefined();
  });

  it('refuses documents over 16 KiB, and never emits one', () => {
    const huge = concatBytes(encodeCoseSign1Es384(rawPayload(base), key), new Uint8Array(16 * 1024));
    expectCode(() => parseAttestationDocument(huge), 'ATT_TOO_LARGE');
    const big = { ...doc, cabundle: Array.from({ length: 16 }, () => new Uint8Array(1024)) };
    expectCode(() => signAttestationDocument(big, key), 'ATT_TOO_LARGE');
  });

  it('refuses to encode a document it would not accept', () => {
    expectCode(() => encodeAttestationPayload({ ...doc, pcrs: new Map([[0, new Uint8Array(49)]]) }), 'ATT_BAD_FIELD');
    expectCode(() => encodeAttestationPayload({ ...doc, pcrs: new Map([[32, new Uint8Array(48)]]) }), 'ATT_BAD_FIELD');
    expectCode(() => encodeAttestationPayload({ ...doc, timestamp: 1.5 }), 'ATT_BAD_FIELD');
    expectCode(() => encodeAttestationPayload({ ...doc, moduleId: '' }), 'ATT_BAD_FIELD');
    expectCode(() => encodeAttestationPayload({ ...doc, publicKey: new Uint8Array(0) }), 'ATT_BAD_FIELD');
    expect(MODULE_ID.length).toBeGreaterThan(0);
  });
});
