// P-384 private keys from PEM: every SEC1/PKCS#8 field that could make us sign with the wrong key is checked.
import { describe, expect, it } from 'vitest';
import { isEmuError } from '../../src/errors.ts';
import { derToPem, p384Sign, p384Verify, parseP384PrivateKeyPem, sha384 } from '../../src/crypto/index.ts';

function tlv(tag: number, content: Uint8Array | number[]): number[] {
  const body = [...content];
  const length = body.length < 0x80 ? [body.length] : [0x81, body.length];
  return [tag, ...length, ...body];
}

const OID_EC_PUBLIC_KEY = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_SECP384R1 = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_PRIME256V1 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_RSA = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const scalar = new Uint8Array(48).fill(0x11);

function sec1(options: { version?: number; scalar?: Uint8Array; curve?: number[] | null } = {}): Uint8Array {
  const curve = options.curve === undefined ? OID_SECP384R1 : options.curve;
  return Uint8Array.from(
    tlv(0x30, [
      ...tlv(0x02, [options.version ?? 1]),
      ...tlv(0x04, options.scalar ?? scalar),
      ...(curve === null ? [] : tlv(0xa0, curve)),
    ]),
  );
}

function pkcs8(inner: Uint8Array, options: { version?: number; algorithm?: number[]; params?: number[] | null } = {}): Uint8Array {
  const params = options.params === undefined ? OID_SECP384R1 : options.params;
  return Uint8Array.from(
    tlv(0x30, [
      ...tlv(0x02, [options.version ?? 0]),
      ...tlv(0x30, [...(options.algorithm ?? OID_EC_PUBLIC_KEY), ...(params ?? [])]),
      ...tlv(0x04, inner),
    ]),
  );
}

function refused(pem: string): string {
  try {
    parseP384PrivateKeyPem(pem);
  } catch (error) {
    if (error instanceof Error && isEmuError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('the key was accepted');
}

describe('parseP384PrivateKeyPem', () => {
  it('SEC1 and PKCS#8 (with or without the curve inside) give the same key, and it signs', () => {
    const fromSec1 = parseP384PrivateKeyPem(derToPem(sec1(), 'EC PRIVATE KEY'));
    const fromPkcs8 = parseP384PrivateKeyPem(derToPem(pkcs8(sec1({ curve: null })), 'PRIVATE KEY'));
    expect(fromSec1.privateKey).toEqual(scalar);
    expect(fromPkcs8).toEqual(fromSec1);
    const message = sha384(Uint8Array.of(1, 2, 3));
    const signature = p384Sign(message, fromSec1.privateKey);
    expect(p384Verify(signature, message, fromSec1.publicKey)).toBe(true);
    expect(p384Verify(signature, Uint8Array.of(9), fromSec1.publicKey)).toBe(false);
  });

  it('refuses oversized text, no block, and no private-key block', () => {
    expect(refused('x'.repeat(16 * 1024 + 1))).toMatch(/^PEM_MALFORMED: .*longer than 16384/);
    expect(refused('not pem')).toMatch(/^PEM_MALFORMED: .*no PEM block/);
    expect(refused(derToPem(sec1(), 'CERTIFICATE'))).toMatch(/^PEM_MALFORMED: .*no PRIVATE KEY/);
  });

  it('SEC1: refuses version 2, another curve, a missing curve and a bad scalar', () => {
    expect(refused(derToPem(sec1({ version: 2 }), 'EC PRIVATE KEY'))).toMatch(/^KEY_MALFORMED: .*version must be 1/);
    expect(refused(derToPem(sec1({ curve: OID_PRIME256V1 }), 'EC PRIVATE KEY'))).toMatch(/^KEY_UNSUPPORTED: .*1\.2\.840\.10045\.3\.1\.7/);
    expect(refused(derToPem(sec1({ curve: null }), 'EC PRIVATE KEY'))).toMatch(/^KEY_MALFORMED: .*without a named curve/);
    expect(refused(derToPem(sec1({ scalar: new Uint8Array(32).fill(1) }), 'EC PRIVATE KEY'))).toMatch(/^KEY_MALFORMED: .*scalar/);
    expect(refused(derToPem(sec1({ scalar: new Uint8Array(48) }), 'EC PRIVATE KEY'))).toMatch(/^KEY_MALFORMED: .*scalar/);
    expect(refused(derToPem(sec1({ scalar: new Uint8Array(48).fill(0xff) }), 'EC PRIVATE KEY'))).toMatch(/^KEY_MALFORMED: .*scalar/);
  });

  it('PKCS#8: refuses version 2, a non-EC algorithm, another curve and absent parameters', () => {
    const inner = sec1({ curve: null });
    expect(parseP384PrivateKeyPem(derToPem(pkcs8(inner, { version: 1 }), 'PRIVATE KEY')).privateKey).toEqual(scalar);
    expect(refused(derToPem(pkcs8(inner, { version: 2 }), 'PRIVATE KEY'))).toMatch(/^KEY_MALFORMED: .*PKCS#8 version 2/);
    expect(refused(derToPem(pkcs8(inner, { algorithm: OID_RSA, params: [0x05, 0x00] }), 'PRIVATE KEY'))).toMatch(
      /^KEY_UNSUPPORTED: .*only EC keys/,
    );
    expect(refused(derToPem(pkcs8(inner, { params: OID_PRIME256V1 }), 'PRIVATE KEY'))).toMatch(/^KEY_UNSUPPORTED: .*only P-384/);
    expect(refused(derToPem(pkcs8(inner, { params: null }), 'PRIVATE KEY'))).toMatch(/^KEY_UNSUPPORTED: .*only P-384/);
  });
});
