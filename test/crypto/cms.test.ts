import { AsnSerializer } from '@peculiar/asn1-schema';
import { describe, expect, it } from 'vitest';
import { type BerNode, readBerElement } from '../../src/crypto/ber.ts';
import { OID_MGF1, OID_RSAES_OAEP, OID_SHA256, RsaesOaepParamsAsn } from '../../src/crypto/cms-algorithms.ts';
import {
  buildEnvelopedData,
  generateRsaKeyPair,
  indexOfBytes,
  openEnvelopedData,
  parseEnvelopedData,
  recipientKeyIdentifier,
  sha256,
} from '../../src/crypto/index.ts';
import { Prng } from '../../src/sim/prng.ts';
import { algorithm, forgeEnvelopedData, toIndefiniteBer } from './cms-forge.ts';
import { expectCode, flipped, hex } from './envelope-helpers.ts';

const key = generateRsaKeyPair(new Prng(21, 'cms-test'));
const otherKey = generateRsaKeyPair(new Prng(22, 'cms-test'));
const plaintext = new Prng(23, 'cms-plain').bytes(100);

function pkcs7(data: Uint8Array): Uint8Array {
  const pad = 16 - (data.length % 16);
  return new Uint8Array([...data, ...new Array<number>(pad).fill(pad)]);
}

function everyNode(node: BerNode): BerNode[] {
  return [node, ...node.children.flatMap(everyNode)];
}

describe('CMS EnvelopedData: build and open', () => {
  it('round-trips plaintexts of every padding length, addressed by SHA-256 of the SPKI', () => {
    const random = new Prng(24, 'cms');
    for (const length of [0, 1, 15, 16, 17, 31, 32, 1000]) {
      const data = random.bytes(length);
      const cms = buildEnvelopedData(data, key.spki, random);
      const parts = parseEnvelopedData(cms);
      expect(parts.version).toBe(2);
      expect(parts.recipientVersion).toBe(2);
      expect(parts.subjectKeyIdentifier).toEqual(sha256(key.spki));
      expect(parts.encryptedKey.length).toBe(256);
      expect(parts.iv.length).toBe(16);
      expect(parts.encryptedContent.length).toBe((Math.floor(length / 16) + 1) * 16);
      expect(openEnvelopedData(cms, key)).toEqual(data);
    }
  });

  it('is reproducible from the seed', () => {
    const a = buildEnvelopedData(plaintext, key.spki, new Prng(25, 'cms'));
    const b = buildEnvelopedData(plaintext, key.spki, new Prng(25, 'cms'));
    const c = buildEnvelopedData(plaintext, key.spki, new Prng(26, 'cms'));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('emits DER with the RFC 4055 RSAES-OAEP-SHA256 identifier (explicit NULLs, default pSource omitted)', () => {
    const cms = buildEnvelopedData(plaintext, key.spki, new Prng(27, 'cms'));
    expect(everyNode(readBerElement(cms, 'TEST')).some((node) => node.indefinite)).toBe(false);
    const oaepSha256 = hex(
      '303c 0609 2a864886f70d010107 302f' +
        'a00f 300d 0609 608648016503040201 0500' +
        'a11c 301a 0609 2a864886f70d010108 300d 0609 608648016503040201 0500',
    );
    expect(indexOfBytes(cms, oaepSha256)).toBeGreaterThan(0);
    const aesCbcPrefix = hex('301d 0609 608648016503040 12a 0410'.replace(/ /g, ''));
    const at = indexOfBytes(cms, aesCbcPrefix);
    expect(at).toBeGreaterThan(0);
    expect(cms.subarray(at + aesCbcPrefix.length, at + aesCbcPrefix.length + 16)).toEqual(parseEnvelopedData(cms).iv);
  });

  it('opens BER with indefinite lengths and chunked content, as real KMS sends it', () => {
    const der = buildEnvelopedData(plaintext, key.spki, new Prng(28, 'cms'));
    for (const chunkBytes of [1, 7, 16, 50]) {
      const ber = toIndefiniteBer(der, chunkBytes);
      const tree = readBerElement(ber, 'TEST');
      expect(tree.indefinite).toBe(true);
      const chunks = Math.ceil(parseEnvelopedData(der).encryptedContent.length / chunkBytes);
      const chunked = everyNode(tree).filter((node) => node.tagClass === 2 && node.tagNumber === 0 && node.children.length === chunks);
      expect(chunked.length).toBe(1);
      expect(parseEnvelopedData(ber)).toEqual(parseEnvelopedData(der));
      expect(openEnvelopedData(ber, key)).toEqual(plaintext);
    }
  });

  it('accepts RSAES-OAEP parameters with absent hash parameters (the OpenSSL encoding)', () => {
    const params = new RsaesOaepParamsAsn();
    params.hashAlgorithm = algorithm(OID_SHA256);
    params.maskGenAlgorithm = algorithm(OID_MGF1, AsnSerializer.serialize(algorithm(OID_SHA256)));
    const keyAlgorithm = algorithm(OID_RSAES_OAEP, AsnSerializer.serialize(params));
    const cms = forgeEnvelopedData({ spki: key.spki, random: new Prng(29, 'f'), paddedPlaintext: pkcs7(plaintext), keyAlgorithm });
    expect(openEnvelopedData(cms, key)).toEqual(plaintext);
  });
});

describe('CMS EnvelopedData: strict parsing', () => {
  const random = new Prng(30, 'forge');
  const base = { spki: key.spki, random, paddedPlaintext: pkcs7(plaintext) };
  const good = buildEnvelopedData(plaintext, key.spki, random);

  it('the forger itself produces an acceptable message (control)', () => {
    expect(openEnvelopedData(forgeEnvelopedData(base), key)).toEqual(plaintext);
  });

  it('refuses versions other than 2', () => {
    for (const version of [0, 1, 3, 4]) expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, version })), 'CMS_UNSUPPORTED');
    for (const ktriVersion of [0, 3]) {
      expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, ktriVersion })), 'CMS_UNSUPPORTED');
    }
  });

  it('refuses other recipients: two of them, issuerAndSerialNumber, extra attributes', () => {
    expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, recipients: 2 })), 'CMS_UNSUPPORTED');
    expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, ridIssuerAndSerial: true })), 'CMS_UNSUPPORTED');
    expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, unprotectedAttribute: true })), 'CMS_UNSUPPORTED');
    expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, subjectKeyIdentifier: new Uint8Array(65) })), 'CMS_MALFORMED');
  });

  it('refuses other algorithms', () => {
    const ivParam = (iv: Uint8Array) => new Uint8Array([0x04, iv.length, ...iv]).buffer as ArrayBuffer;
    const cases = [
      { keyAlgorithm: algorithm(OID_RSAES_OAEP) }, // no parameters = SHA-1 defaults
      { keyAlgorithm: algorithm('1.2.840.113549.1.1.1', null) }, // PKCS#1 v1.5
      { contentAlgorithm: (iv: Uint8Array) => algorithm('2.16.840.1.101.3.4.1.2', ivParam(iv)) }, // aes128-CBC
      { contentAlgorithm: (iv: Uint8Array) => algorithm('2.16.840.1.101.3.4.1.46', ivParam(iv)) }, // aes256-GCM
      { contentType: '1.2.840.113549.1.7.2' },
    ];
    for (const options of cases) expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, ...options })), 'CMS_UNSUPPORTED');
    const oid = hex('06092a864886f70d010703');
    const at = indexOfBytes(good, oid);
    expectCode(() => parseEnvelopedData(flipped(good, at + oid.length - 1, 0x01)), 'CMS_UNSUPPORTED'); // signedData
  });

  it('refuses wrong lengths: IV, partial blocks, empty content', () => {
    expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, ivBytes: 12 })), 'CMS_MALFORMED');
    expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, rawContent: new Uint8Array(17) })), 'CMS_MALFORMED');
    expectCode(() => parseEnvelopedData(forgeEnvelopedData({ ...base, rawContent: new Uint8Array(0) })), 'CMS_MALFORMED');
  });

  it('refuses trailing bytes, truncation, garbage and odd BER', () => {
    expectCode(() => parseEnvelopedData(new Uint8Array([...good, 0x00])), 'CMS_MALFORMED');
    expectCode(() => parseEnvelopedData(good.subarray(0, good.length - 1)), 'CMS_MALFORMED');
    expectCode(() => parseEnvelopedData(new Uint8Array(0)), 'CMS_MALFORMED');
    expectCode(() => parseEnvelopedData(random.bytes(400)), 'CMS_MALFORMED');
    const ber = toIndefiniteBer(good, 16);
    expectCode(() => parseEnvelopedData(new Uint8Array([...ber, 0x00, 0x00])), 'CMS_MALFORMED');
    expectCode(() => parseEnvelopedData(ber.subarray(0, ber.length - 2)), 'CMS_MALFORMED');
    // A content chunk that is not a primitive OCTET STRING: an INTEGER, then a nested constructed string.
    const chunkAt = indexOfBytes(ber, new Uint8Array([0xa0, 0x80, 0x04, 0x10])) + 2;
    expect(chunkAt).toBeGreaterThan(2);
    expectCode(() => parseEnvelopedData(flipped(ber, chunkAt, 0x06)), 'CMS_MALFORMED');
    const chunk = ber.subarray(chunkAt, chunkAt + 18);
    const nested = new Uint8Array([...ber.subarray(0, chunkAt), 0x24, 0x80, ...chunk, 0, 0, ...ber.subarray(chunkAt + 18)]);
    expectCode(() => parseEnvelopedData(nested), 'CMS_MALFORMED');
  });
});

describe('CMS EnvelopedData: opening fails closed', () => {
  const random = new Prng(31, 'open');
  const good = buildEnvelopedData(plaintext, key.spki, random);

  it('refuses a message addressed to another key', () => {
    expectCode(() => openEnvelopedData(good, otherKey), 'CMS_WRONG_RECIPIENT');
    expect(recipientKeyIdentifier(otherKey.spki)).not.toEqual(recipientKeyIdentifier(key.spki));
  });

  it('reports any key unwrap failure as CMS_DECRYPT_FAILED', () => {
    const wrapped = parseEnvelopedData(good).encryptedKey;
    const at = indexOfBytes(good, wrapped);
    expectCode(() => openEnvelopedData(flipped(good, at + 17, 0x40), key), 'CMS_DECRYPT_FAILED');
    // Right identifier, but the key was wrapped for someone else.
    const misaddressed = forgeEnvelopedData({
      spki: otherKey.spki,
      random,
      paddedPlaintext: pkcs7(plaintext),
      subjectKeyIdentifier: recipientKeyIdentifier(key.spki),
    });
    expectCode(() => openEnvelopedData(misaddressed, key), 'CMS_DECRYPT_FAILED');
    const shortKey = forgeEnvelopedData({ spki: key.spki, random, paddedPlaintext: pkcs7(plaintext), contentKeyBytes: 16 });
    expectCode(() => openEnvelopedData(shortKey, key), 'CMS_DECRYPT_FAILED');
  });

  it('never returns plaintext with bad PKCS#7 padding', () => {
    const block = new Uint8Array(16).fill(0x41);
    const open = (padded: Uint8Array) => openEnvelopedData(forgeEnvelopedData({ spki: key.spki, random, paddedPlaintext: padded }), key);
    expect(open(new Uint8Array([...block, ...new Array<number>(16).fill(16)]))).toEqual(block); // control
    expect(open(new Uint8Array([...block.subarray(0, 13), 3, 3, 3]))).toEqual(block.subarray(0, 13)); // control
    expectCode(() => open(new Uint8Array([...block.subarray(0, 15), 0])), 'CMS_DECRYPT_FAILED');
    expectCode(() => open(new Uint8Array([...block.subarray(0, 15), 17])), 'CMS_DECRYPT_FAILED');
    expectCode(() => open(new Uint8Array([...block.subarray(0, 13), 2, 3, 3])), 'CMS_DECRYPT_FAILED');
    expectCode(() => open(new Uint8Array([...block, ...new Array<number>(15).fill(16), 15])), 'CMS_DECRYPT_FAILED');
  });
});
