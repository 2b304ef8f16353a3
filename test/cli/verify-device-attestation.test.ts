import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { derToPem, fromHex, parseCertificate, parseSpdmMeasurements, pemToDer, toHex } from '../../src/crypto/index.ts';
import { cli, tempDir } from '../helpers/cli.ts';

const fixtures = new URL('../fixtures/nvidia/', import.meta.url).pathname;
const chainPath = join(fixtures, 'hopper-cert-chain.pem');
const reportPath = join(fixtures, 'hopper-attestation-report.hex');
const dir = tempDir();
const certs = pemToDer(readFileSync(chainPath, 'utf8')).map((d) => parseCertificate(d));
const rootPath = join(dir, 'root.pem');
writeFileSync(rootPath, derToPem(certs.find((c) => c.selfSigned)!.der, 'CERTIFICATE'));
// An unrelated self-signed P-384 root (AWS Nitro): pinning an NVIDIA intermediate would legitimately verify.
const wrongRootPath = new URL('../fixtures/nitro/AWS_NitroEnclaves_Root-G1.pem', import.meta.url).pathname;
const report = fromHex(readFileSync(reportPath, 'utf8').trim());
const nonce = toHex(parseSpdmMeasurements(report).request.nonce);
const base = ['verify-device-attestation', '--chain', chainPath, '--root', rootPath, '--report', reportPath];

describe('nitro-emu verify-device-attestation (real NVIDIA H100 sample)', () => {
  it('verifies with the pinned root and nonce; --json has the contract fields', async () => {
    const r = await cli([...base, '--nonce', nonce, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ valid: true, code: 'OK', nonce, chainLength: 4 });
    expect(out.leaf.subject).toContain('FMC LF');
    expect(out.measurements).toHaveLength(64);
  });

  it('fails on a wrong nonce, a wrong root and a flipped report byte', async () => {
    const wrong = (nonce[0] === '0' ? '1' : '0') + nonce.slice(1);
    expect((await cli([...base, '--nonce', wrong])).code).toBe(1);
    const r = await cli(['verify-device-attestation', '--chain', chainPath, '--root', wrongRootPath, '--report', reportPath, '--json']);
    expect(r.code).toBe(1);
    const flipped = report.slice();
    flipped[100] = flipped[100]! ^ 0x80;
    const flippedPath = join(dir, 'flipped.hex');
    writeFileSync(flippedPath, toHex(flipped));
    const f = await cli(['verify-device-attestation', '--chain', chainPath, '--root', rootPath, '--report', flippedPath, '--json']);
    expect(f.code).toBe(1);
    expect(JSON.parse(f.stdout).code).toBe('SPDM_BAD_SIGNATURE');
  });

  it('judges --reference: all match → 0, one changed digest → 1 with a mismatch verdict', async () => {
    const ref: Record<string, string> = {};
    for (const b of parseSpdmMeasurements(report).response.blocks) ref[String(b.index)] = toHex(b.value);
    const refPath = join(dir, 'ref.json');
    writeFileSync(refPath, JSON.stringify(ref));
    expect((await cli([...base, '--reference', refPath])).code).toBe(0);
    ref['5'] = (ref['5']![0] === 'a' ? 'b' : 'a') + ref['5']!.slice(1);
    writeFileSync(refPath, JSON.stringify(ref));
    const r = await cli([...base, '--reference', refPath, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.measurements.find((m: { index: number }) => m.index === 5).verdict).toBe('mismatch');
  });

  it('bad usage exits 2', async () => {
    expect((await cli(['verify-device-attestation', '--chain', chainPath])).code).toBe(2);
    expect((await cli([...base, '--nonce', 'zz'])).code).toBe(2);
  });
});
