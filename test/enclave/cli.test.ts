import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CommandIo } from '../../src/cli/command.ts';
import { EmuError } from '../../src/errors.ts';
import { concatBytes, sha384, utf8 } from '../../src/crypto/index.ts';
import { buildEnclaveImage, decodeEifLayout, encodeEifLayout, decodeSignatureSection, encodeSignatureSection } from '../../src/enclave/index.ts';
import { fixture, hexOf, pemBodyDer } from './helpers.ts';

const PINNED_PCR1 = '2786843b2949943b0624a04ca9c83bf0c48d03bc07ef0a41be842b4519d9b9678577fc9beffb52fbef89ebc9deb08134';
// From `openssl x509 -in signer-cert.pem -noout -text -dates`, upper-cased as nitro-cli prints it.
const SIGNER_SIGNATURE =
  '30:64:02:30:15:ec:46:d4:b0:7c:56:59:ea:aa:55:92:ad:be:14:03:9c:5a:3c:2b:41:37:ce:57:9e:46:91:a6:d4:26:24:ea:' +
  '47:f5:3a:bb:0d:d4:6a:ba:3a:8c:9d:ea:d6:94:bf:cf:02:30:75:89:16:1d:9e:79:22:0f:6d:72:1e:e1:ae:33:cb:7f:c9:b4:' +
  '71:26:31:7c:de:41:db:a5:4d:38:6c:2c:e7:8d:53:18:c1:9e:cf:62:e7:90:77:6d:67:1d:6b:a9:b7:e1';

/** Reads from the real filesystem (the temp dirs), keeps everything written in memory. */
function fakeIo() {
  const written = new Map<string, Uint8Array>();
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTty: false,
    readFile(path) {
      const mem = written.get(path);
      if (mem !== undefined) return mem;
      try {
        return new Uint8Array(readFileSync(path));
      } catch {
        throw new EmuError('CLI_FILE_UNREADABLE', `cannot read ${path}`);
      }
    },
    writeFile(path, data) {
      written.set(path, typeof data === 'string' ? utf8(data) : data);
    },
  };
  return { io, written, out: () => stdout, err: () => stderr };
}

async function cli(argv: string[], shared?: ReturnType<typeof fakeIo>) {
  const f = shared ?? fakeIo();
  const before = f.out().length;
  const code = await main(argv, f.io);
  const text = f.out().slice(before);
  return { code, text, json: code !== 2 && text ? (JSON.parse(text) as Record<string, any>) : undefined, f };
}

let dir = '';
let appDir = '';
const certPath = () => join(dir, 'cert.pem');
const keyPath = () => join(dir, 'key.pem');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nitro-emu-cli-'));
  appDir = join(dir, 'app');
  mkdirSync(join(appDir, 'lib'), { recursive: true });
  writeFileSync(join(appDir, 'main.js'), '(async function main(enclave) { return 1; })');
  writeFileSync(join(appDir, 'lib', 'helper.js'), 'helper');
  writeFileSync(certPath(), fixture('signer-cert.pem'));
  writeFileSync(keyPath(), fixture('signer-key.pem'));
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'meta.json'), '{"owner":"ml-team"}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nitro-emu build-enclave', () => {
  it('writes the image and prints nitro-cli’s Measurements JSON', async () => {
    const { code, text, json, f } = await cli(['build-enclave', '--app', appDir, '--output-file', 'out.eif']);
    expect(code).toBe(0);
    expect(Object.keys(json!)).toEqual(['Measurements']);
    expect(Object.keys(json!['Measurements'])).toEqual(['HashAlgorithm', 'PCR0', 'PCR1', 'PCR2']);
    expect(json!['Measurements']['HashAlgorithm']).toBe('Sha384 { ... }');
    expect(json!['Measurements']['PCR1']).toBe(PINNED_PCR1);
    expect(json!['Measurements']['PCR0']).toMatch(/^[0-9a-f]{96}$/);
    expect(text).toBe(`${JSON.stringify(json, null, 2)}\n`); // serde_json's pretty form
    const expected = buildEnclaveImage({
      appFiles: [
        { path: 'lib/helper.js', data: utf8('helper') },
        { path: 'main.js', data: utf8('(async function main(enclave) { return 1; })') },
      ],
      entry: 'main.js',
    });
    expect(f.written.get('out.eif')).toEqual(expected);
  });

  it('signs with --signing-certificate/--private-key and adds PCR8 (as `pcr --signing-certificate` computes it)', async () => {
    const built = await cli(['build-enclave', '--app', appDir, '--output-file', 'signed.eif', '--signing-certificate', certPath(), '--private-key', keyPath()]);
    expect(built.code).toBe(0);
    expect(Object.keys(built.json!['Measurements'])).toEqual(['HashAlgorithm', 'PCR0', 'PCR1', 'PCR2', 'PCR8']);
    const pcr8 = await cli(['pcr', '--signing-certificate', certPath()]);
    expect(pcr8.json).toEqual({ PCR8: built.json!['Measurements']['PCR8'] });
    expect(pcr8.json!['PCR8']).toBe(hexOf(sha384(concatBytes(new Uint8Array(48), sha384(pemBodyDer(fixture('signer-cert.pem')))))));
  });

  it('refuses bad usage and bad input with exit code 2', async () => {
    const onlyCert = await cli(['build-enclave', '--app', appDir, '--output-file', 'x.eif', '--signing-certificate', certPath()]);
    expect(onlyCert.code).toBe(2);
    expect(onlyCert.f.err()).toMatch(/CLI_BAD_ARGS/);
    const missing = await cli(['build-enclave', '--app', join(dir, 'nope'), '--output-file', 'x.eif']);
    expect(missing.code).toBe(2);
    expect(missing.f.err()).toMatch(/ENCLAVE_APP_FOLDER_UNREADABLE/);
    const noEntry = await cli(['build-enclave', '--app', join(appDir, 'lib'), '--output-file', 'x.eif']);
    expect(noEntry.code).toBe(2);
    expect(noEntry.f.err()).toMatch(/ENCLAVE_IMAGE_BAD_ENTRY/);
    const wrongKey = join(dir, 'other-key.pem');
    writeFileSync(wrongKey, fixture('other-key.pem'));
    const mismatch = await cli(['build-enclave', '--app', appDir, '--output-file', 'x.eif', '--signing-certificate', certPath(), '--private-key', wrongKey]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.f.err()).toMatch(/EIF_SIGNING_KEY_MISMATCH/);
    expect(mismatch.f.written.size).toBe(0);
  });
});

describe('nitro-emu describe-eif', () => {
  it('describes an unsigned image in nitro-cli’s field order', async () => {
    const f = fakeIo();
    await cli(['build-enclave', '--app', appDir, '--output-file', 'a.eif', '--name', 'svc', '--version', '2.0', '--metadata', join(dir, 'meta.json')], f);
    const { code, json } = await cli(['describe-eif', '--eif-path', 'a.eif'], f);
    expect(code).toBe(0);
    expect(Object.keys(json!)).toEqual(['EifVersion', 'Measurements', 'IsSigned', 'CheckCRC', 'ImageName', 'ImageVersion', 'Metadata']);
    expect(json).toMatchObject({ EifVersion: 4, IsSigned: false, CheckCRC: true, ImageName: 'svc', ImageVersion: '2.0' });
    expect(json!['Measurements']['PCR1']).toBe(PINNED_PCR1);
    expect(json!['Metadata']).toEqual({
      BuildTime: '1970-01-01T00:00:00+00:00',
      BuildTool: 'nitro-emu',
      BuildToolVersion: '0.1.0',
      OperatingSystem: 'nitro-emu emulated enclave',
      KernelVersion: 'emulated ABI v1',
      DockerInfo: null,
      owner: 'ml-team', // CustomMetadata is flattened into Metadata
    });
  });

  it('describes a signed image: SigningCertificate as openssl prints it, SignatureCheck true', async () => {
    const f = fakeIo();
    const built = await cli(['build-enclave', '--app', appDir, '--output-file', 's.eif', '--signing-certificate', certPath(), '--private-key', keyPath()], f);
    const { code, json } = await cli(['describe-eif', '--eif-path', 's.eif'], f);
    expect(code).toBe(0);
    expect(Object.keys(json!)).toEqual([
      'EifVersion', 'Measurements', 'IsSigned', 'SigningCertificate', 'CheckCRC', 'SignatureCheck', 'ImageName', 'ImageVersion', 'Metadata',
    ]);
    expect(json!['Measurements']).toEqual(built.json!['Measurements']);
    expect(json!['SigningCertificate']).toEqual({
      IssuerName: { commonName: 'eif-signer', countryName: 'US', organizationName: 'nitro-emu tests', stateOrProvinceName: 'Washington' },
      Algorithm: 'ecdsa-with-SHA384',
      NotBefore: 'Nov 25 19:18:24 2026 GMT',
      NotAfter: 'Jul 17 19:18:24 2051 GMT',
      Signature: SIGNER_SIGNATURE.toUpperCase(),
    });
    expect(json!['SignatureCheck']).toBe(true);
  });

  it('reports a damaged image with CheckCRC false and a forged signature with SignatureCheck false (exit 1)', async () => {
    const f = fakeIo();
    await cli(['build-enclave', '--app', appDir, '--output-file', 's.eif', '--signing-certificate', certPath(), '--private-key', keyPath()], f);
    const image = f.written.get('s.eif')!;
    const damaged = image.slice();
    // a byte inside the bootstrap ramdisk (section 3; its header is at section_offsets[3])
    const bootstrapAt = Number(new DataView(image.buffer, image.byteOffset).getBigUint64(0x1c + 8 * 3)) + 12;
    damaged[bootstrapAt + 200]! ^= 0x01;
    f.io.writeFile('damaged.eif', damaged);
    const crc = await cli(['describe-eif', '--eif-path', 'damaged.eif'], f);
    expect(crc.code).toBe(1);
    expect(crc.json).toMatchObject({ CheckCRC: false });
    expect(crc.json!['Measurements']['PCR1']).not.toBe(PINNED_PCR1);

    const layout = decodeEifLayout(image);
    const entry = decodeSignatureSection(layout.sections[5]!.data);
    const signature = entry.signature.slice();
    signature[signature.length - 1]! ^= 0x80;
    const sections = layout.sections.map((s, i) => (i === 5 ? { ...s, data: encodeSignatureSection({ ...entry, signature }) } : s));
    f.io.writeFile('forged.eif', encodeEifLayout({ sections }));
    const forged = await cli(['describe-eif', '--eif-path', 'forged.eif'], f);
    expect(forged.code).toBe(1);
    expect(forged.json).toMatchObject({ CheckCRC: true, IsSigned: true, SignatureCheck: false });
  });

  it('exits 2 with a typed error for a file that is not an EIF or is missing', async () => {
    const f = fakeIo();
    f.io.writeFile('short.eif', buildEnclaveImage({ appFiles: [{ path: 'main.js', data: utf8('x') }], entry: 'main.js' }).subarray(0, 600));
    const truncated = await cli(['describe-eif', '--eif-path', 'short.eif'], f);
    expect(truncated.code).toBe(2);
    expect(truncated.f.err()).toMatch(/EIF_SECTION_OUT_OF_BOUNDS/);
    f.io.writeFile('text.eif', utf8('hello'));
    expect((await cli(['describe-eif', '--eif-path', 'text.eif'], f)).code).toBe(2);
    const missing = await cli(['describe-eif', '--eif-path', join(dir, 'missing.eif')], f);
    expect(missing.code).toBe(2);
    expect(f.err()).toMatch(/CLI_FILE_UNREADABLE/);
    expect((await cli(['describe-eif'], f)).code).toBe(2);
  });
});

describe('nitro-emu pcr', () => {
  it('--input prints {"PCR": extend(0, SHA384(file))}', async () => {
    const empty = await cli(['pcr', '--input', join(dir, 'empty')]);
    expect(empty.code).toBe(0);
    expect(empty.json).toEqual({
      PCR: '21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba67310f7b964fc500a',
    });
    const file = await cli(['pcr', '--input', join(dir, 'meta.json')]);
    expect(file.json).toEqual({ PCR: hexOf(sha384(concatBytes(new Uint8Array(48), sha384(utf8('{"owner":"ml-team"}'))))) });
  });

  it('needs exactly one of --input and --signing-certificate, and a readable PEM', async () => {
    expect((await cli(['pcr'])).code).toBe(2);
    expect((await cli(['pcr', '--input', join(dir, 'empty'), '--signing-certificate', certPath()])).code).toBe(2);
    const notPem = await cli(['pcr', '--signing-certificate', join(dir, 'meta.json')]);
    expect(notPem.code).toBe(2);
    expect(notPem.f.err()).toMatch(/PEM_MALFORMED|EIF_BAD_SIGNING_CERTIFICATE/);
    expect((await cli(['pcr', '--input', join(dir, 'missing')])).code).toBe(2);
  });
});
