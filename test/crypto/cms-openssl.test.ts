import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBerElement } from '../../src/crypto/ber.ts';
import {
  type RsaKeyPair,
  buildEnvelopedData,
  generateRsaKeyPair,
  openEnvelopedData,
  parseEnvelopedData,
  recipientKeyIdentifier,
  toHex,
} from '../../src/crypto/index.ts';
import { Prng } from '../../src/sim/prng.ts';
import { expectCode } from './envelope-helpers.ts';

// Interop with OpenSSL's CMS implementation, both directions. Skipped (with a warning) where openssl is absent.

function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const haveOpenssl = opensslAvailable();
if (!haveOpenssl) console.warn('openssl not found on PATH: skipping the CMS interop tests');

describe.skipIf(!haveOpenssl)('CMS interop with openssl cms (skipped when openssl is not installed)', () => {
  // Set up in beforeAll so that a skipped suite touches neither the disk nor the key generator.
  let dir = '';
  let keyPem = '';
  let key: RsaKeyPair;
  beforeAll(() => {
    key = generateRsaKeyPair(new Prng(41, 'cms-openssl'));
    dir = mkdtempSync(join(tmpdir(), 'nitro-emu-cms-'));
    keyPem = join(dir, 'key.pem');
    const pkcs8 = createPrivateKey({ key: Buffer.from(key.exportPkcs8()), format: 'der', type: 'pkcs8' });
    writeFileSync(keyPem, pkcs8.export({ type: 'pkcs8', format: 'pem' }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const plaintext = new Prng(42, 'cms-openssl').bytes(1000); // binary, with zero bytes and every padding case

  const openssl = (...args: string[]): Buffer => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

  /** A throwaway self-signed certificate for our key; `ski` overrides OpenSSL's SHA-1 key identifier. */
  function certificate(name: string, ski?: Uint8Array): string {
    const path = join(dir, `${name}.pem`);
    const skiArgs = ski === undefined ? [] : ['-addext', `subjectKeyIdentifier=${toHex(ski)}`];
    openssl('req', '-x509', '-new', '-key', keyPem, '-subj', '/CN=nitro-emu-test', '-days', '1', ...skiArgs, '-out', path);
    return path;
  }

  function opensslEncrypt(cert: string, extra: string[]): Uint8Array {
    const input = join(dir, 'plain.bin');
    const output = join(dir, `out-${extra.join('')}-${cert.length}.der`);
    writeFileSync(input, plaintext);
    openssl(
      'cms', '-encrypt', '-binary', '-aes-256-cbc', '-recip', cert,
      '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256',
      '-outform', 'DER', '-in', input, '-out', output, ...extra,
    );
    return new Uint8Array(readFileSync(output));
  }

  it('openssl cms -decrypt opens what we build', () => {
    const file = join(dir, 'ours.der');
    writeFileSync(file, buildEnvelopedData(plaintext, key.spki, new Prng(43, 'cms-openssl')));
    const out = openssl('cms', '-decrypt', '-inform', 'DER', '-in', file, '-inkey', keyPem, '-binary');
    expect(new Uint8Array(out)).toEqual(plaintext);
  });

  it('we open what openssl builds for our SKI, in DER and in streamed BER with indefinite lengths', () => {
    const cert = certificate('ours-ski', recipientKeyIdentifier(key.spki));
    const der = opensslEncrypt(cert, ['-keyid']);
    expect(parseEnvelopedData(der).subjectKeyIdentifier).toEqual(recipientKeyIdentifier(key.spki));
    expect(openEnvelopedData(der, key)).toEqual(plaintext);
    const ber = opensslEncrypt(cert, ['-keyid', '-stream']);
    expect(readBerElement(ber, 'TEST').indefinite).toBe(true);
    expect(openEnvelopedData(ber, key)).toEqual(plaintext);
  });

  it("parses openssl's default SHA-1 key identifier but refuses it as not ours; refuses issuerAndSerialNumber", () => {
    const cert = certificate('default-ski');
    const withSha1Ski = opensslEncrypt(cert, ['-keyid']);
    expect(parseEnvelopedData(withSha1Ski).subjectKeyIdentifier.length).toBe(20);
    expectCode(() => openEnvelopedData(withSha1Ski, key), 'CMS_WRONG_RECIPIENT');
    const withIssuerSerial = opensslEncrypt(cert, []);
    expectCode(() => parseEnvelopedData(withIssuerSerial), 'CMS_UNSUPPORTED');
  });
});
