import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EmuError } from '../../src/errors.ts';
import {
  fromHex,
  parseCertificate,
  parseSpdmMeasurements,
  pemToDer,
  verifyCertificateChain,
  verifySpdmMeasurements,
  type ParsedCertificate,
} from '../../src/crypto/index.ts';

const dir = new URL('../fixtures/nvidia/', import.meta.url);
const report = fromHex(readFileSync(new URL('hopper-attestation-report.hex', dir), 'utf8').trim());
const certs = pemToDer(readFileSync(new URL('hopper-cert-chain.pem', dir), 'utf8')).map((d) => parseCertificate(d));

function leafAndRoot(): { leafFirst: ParsedCertificate[]; root: ParsedCertificate } {
  const root = certs.find((c) => c.subject.includes('NVIDIA Device Identity CA') && c.selfSigned)!;
  const leaf = certs.find((c) => c.subject.includes('FMC LF'))!;
  // Walk issuer links from the leaf so the file's order does not matter.
  const leafFirst = [leaf];
  for (let i = 0; i < certs.length && leafFirst[leafFirst.length - 1]!.issuer !== root.subject; i++) {
    const next = certs.find((c) => c.subject === leafFirst[leafFirst.length - 1]!.issuer)!;
    leafFirst.push(next);
  }
  return { leafFirst, root };
}

describe('SPDM 1.1 GET_MEASUREMENTS (real NVIDIA H100 sample)', () => {
  const { leafFirst, root } = leafAndRoot();
  const leafKey = leafFirst[0]!.p384PublicKey!;
  const atMs = Math.max(...certs.map((c) => c.notBeforeMs)) + 1000;

  it('parses the layout exactly', () => {
    const t = parseSpdmMeasurements(report);
    expect(t.request.param2).toBe(0xff);
    expect(t.response.blocks).toHaveLength(64);
    expect(t.response.blocks.every((b) => b.value.length === 48)).toBe(true);
    expect(t.response.blocks.map((b) => b.index)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(t.signedBytes.length + 96).toBe(report.length);
  });

  it('the chain reaches the pinned NVIDIA root and the signature verifies', () => {
    expect(atMs).toBeLessThan(Math.min(...certs.map((c) => c.notAfterMs)));
    verifyCertificateChain(leafFirst, root, atMs);
    const v = verifySpdmMeasurements(report, leafKey, { expectedNonce: parseSpdmMeasurements(report).request.nonce });
    expect(v.measurements).toHaveLength(64);
  });

  it('every flipped byte fails with a typed EmuError', () => {
    for (let i = 0; i < report.length; i++) {
      const bad = report.slice();
      bad[i] = bad[i]! ^ 0x01;
      let err: unknown;
      try {
        verifySpdmMeasurements(bad, leafKey);
      } catch (e) {
        err = e;
      }
      expect(err, `byte ${i}`).toBeInstanceOf(EmuError);
    }
  });

  it('refuses a wrong nonce, truncation and trailing bytes', () => {
    const nonce = parseSpdmMeasurements(report).request.nonce.slice();
    nonce[0] = nonce[0]! ^ 0xff;
    expect(() => verifySpdmMeasurements(report, leafKey, { expectedNonce: nonce })).toThrow(
      expect.objectContaining({ code: 'SPDM_NONCE_MISMATCH' }),
    );
    expect(() => parseSpdmMeasurements(report.subarray(0, report.length - 1))).toThrow(
      expect.objectContaining({ code: 'SPDM_TRUNCATED' }),
    );
    const longer = new Uint8Array(report.length + 1);
    longer.set(report);
    expect(() => parseSpdmMeasurements(longer)).toThrow(expect.objectContaining({ code: 'SPDM_TRAILING_BYTES' }));
  });

  it('a wrong root or a wrong leaf key fails', () => {
    const other = leafFirst[1]!;
    expect(() => verifyCertificateChain(leafFirst.slice(0, 1), leafFirst[2]!, atMs)).toThrow(EmuError);
    expect(() => verifySpdmMeasurements(report, other.p384PublicKey!)).toThrow(
      expect.objectContaining({ code: 'SPDM_BAD_SIGNATURE' }),
    );
  });

  it('judges measurements against references: match, mismatch, missing', () => {
    const t = parseSpdmMeasurements(report);
    const ref = new Map<number, string>();
    for (const b of t.response.blocks) ref.set(b.index, Buffer.from(b.value).toString('hex'));
    const good = verifySpdmMeasurements(report, leafKey, { reference: ref });
    expect(good.measurements.every((m) => m.verdict === 'match')).toBe(true);
    const digest2 = ref.get(2)!;
    ref.set(2, (digest2[0] === '0' ? '1' : '0') + digest2.slice(1));
    ref.set(200, '00'.repeat(48));
    const bad = verifySpdmMeasurements(report, leafKey, { reference: ref });
    expect(bad.measurements.find((m) => m.index === 2)?.verdict).toBe('mismatch');
    expect(bad.measurements.find((m) => m.index === 200)?.verdict).toBe('missing');
  });
});
