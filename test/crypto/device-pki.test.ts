import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createVendorPki,
  deriveAliasKeyPair,
  issueDeviceIdentity,
  issueFirmwareAlias,
  readDiceTcbInfo,
} from '../../src/crypto/device-pki.ts';
import { p384KeyPair, p384Sign, p384Verify, parseCertificate, pemToDer, sha384, toHex, verifyCertificateChain } from '../../src/crypto/index.ts';
import { decodeDiceTcbInfo, encodeDiceTcbInfo, findExtensionValue, OID_TCG_DICE_TCB_INFO } from '../../src/crypto/spdm-dice-tcb.ts';
import { Prng } from '../../src/sim/prng.ts';
import { expectCode } from '../helpers/errors.ts';

const AT_MS = Date.UTC(2026, 0, 1);
const firmware = sha384(new TextEncoder().encode('firmware image v1'));
const secret = new Uint8Array(32).fill(7);

function device(seed: number, fw = firmware, svn = 3) {
  const random = new Prng(seed, 'vendor');
  const pki = createVendorPki(random, { vendor: 'nitro-emu GPU vendor', product: 'GH100' });
  const idKey = p384KeyPair(new Prng(seed, 'fuses'));
  const identity = issueDeviceIdentity(pki, random, { deviceIdHex: '41431d480fe5e87274', ...idKey });
  const alias = deriveAliasKeyPair(secret, fw, svn);
  const leaf = issueFirmwareAlias(identity, random, {
    publicKey: alias.publicKey,
    tcb: { fwid: fw, svn, vendor: 'nitro-emu GPU vendor', model: 'GH100' },
  });
  return { pki, identity, alias, leaf };
}

describe('vendor PKI (NVIDIA profile)', () => {
  it('five P-384 certificates chain to the root, names and serial as the profile says', () => {
    const { pki, identity, leaf } = device(1);
    const parsed = [leaf.der, identity.der, pki.intermediates[1]!.der, pki.intermediates[0]!.der].map((d) => parseCertificate(d));
    const root = parseCertificate(pki.root.der);
    verifyCertificateChain(parsed, root, AT_MS);
    expect(parsed[1]!.serialHex).toBe('41431d480fe5e87274');
    expect(parsed[1]!.pathLength).toBe(0);
    expect(parsed[0]!.subject).toContain('GH100 A01 GSP FMC LF');
    expect(parsed[1]!.subject).toContain('GH100 A01 GSP BROM');
    expect(root.selfSigned).toBe(true);
    expect([root, ...parsed].every((c) => c.subject.includes('nitro-emu'))).toBe(true);
  });

  it('a chain to another seed\'s root fails; a flipped leaf signature fails', () => {
    const a = device(1);
    const b = device(2);
    const chain = [a.leaf.der, a.identity.der, a.pki.intermediates[1]!.der, a.pki.intermediates[0]!.der].map((d) => parseCertificate(d));
    expectCode(() => verifyCertificateChain(chain, parseCertificate(b.pki.root.der), AT_MS), 'CHAIN_UNTRUSTED_ROOT');
    const badLeaf = a.leaf.der.slice();
    badLeaf[badLeaf.length - 5] = badLeaf[badLeaf.length - 5]! ^ 0x01;
    const tampered = [parseCertificate(badLeaf), ...chain.slice(1)];
    expectCode(() => verifyCertificateChain(tampered, parseCertificate(a.pki.root.der), AT_MS), 'CHAIN_BAD_SIGNATURE');
  });

  it('same seed, same bytes; another seed, other bytes (independent of any clock)', () => {
    const a = device(5);
    const b = device(5);
    const c = device(6);
    expect(toHex(a.leaf.der)).toBe(toHex(b.leaf.der));
    expect(toHex(a.pki.root.der)).toBe(toHex(b.pki.root.der));
    expect(toHex(a.pki.root.der)).not.toBe(toHex(c.pki.root.der));
  });

  it('identity without its private key cannot sign an alias; bad device ids are refused', () => {
    const random = new Prng(3, 'v');
    const pki = createVendorPki(random, { vendor: 'nitro-emu GPU vendor', product: 'GH100' });
    const key = p384KeyPair(random);
    const publicOnly = issueDeviceIdentity(pki, random, { deviceIdHex: '0102', publicKey: key.publicKey });
    const tcb = { fwid: firmware, svn: 1, vendor: 'v', model: 'm' };
    expectCode(() => issueFirmwareAlias(publicOnly, random, { publicKey: key.publicKey, tcb }), 'DEVICE_PKI_NO_IDENTITY_KEY');
    expectCode(() => issueDeviceIdentity(pki, random, { deviceIdHex: '8102', publicKey: key.publicKey }), 'DEVICE_PKI_BAD_INPUT');
    expectCode(() => issueDeviceIdentity(pki, random, { deviceIdHex: 'zz', publicKey: key.publicKey }), 'DEVICE_PKI_BAD_INPUT');
    const other = p384KeyPair(random);
    expectCode(
      () => issueDeviceIdentity(pki, random, { deviceIdHex: '0102', publicKey: key.publicKey, privateKey: other.privateKey }),
      'DEVICE_PKI_BAD_INPUT',
    );
  });
});

describe('DICE TcbInfo and alias keys', () => {
  it('the extension round-trips from the leaf', () => {
    const { leaf } = device(1);
    const tcb = readDiceTcbInfo(leaf.der)!;
    expect(toHex(tcb.fwid)).toBe(toHex(firmware));
    expect(tcb.svn).toBe(3);
    expect(tcb.vendor).toBe('nitro-emu GPU vendor');
    expect(tcb.model).toBe('GH100');
    const { identity } = device(1);
    expect(readDiceTcbInfo(identity.der)).toBeNull();
  });

  it('uses the TCG implicit tags [0] [1] [3] [6] with a SHA-384 FWID', () => {
    const der = encodeDiceTcbInfo({ fwid: firmware, svn: 200, vendor: 'v', model: 'm' });
    expect(toHex(der.subarray(2, 8))).toBe('80017681016d'); // [0] "v", [1] "m"
    expect(der[8]).toBe(0x83);
    expect(toHex(der.subarray(9, 12))).toBe('0200c8'); // svn 200 needs a sign byte
    expect(der[12]).toBe(0xa6);
    expect(decodeDiceTcbInfo(der).svn).toBe(200);
  });

  it('every flipped byte of the encoding is refused or decodes to something else', () => {
    const tcb = { fwid: firmware, svn: 9, vendor: 'vendor', model: 'model' };
    const der = encodeDiceTcbInfo(tcb);
    for (let i = 0; i < der.length; i++) {
      const bad = der.slice();
      bad[i] = bad[i]! ^ 0x01;
      let decoded: ReturnType<typeof decodeDiceTcbInfo> | undefined;
      try {
        decoded = decodeDiceTcbInfo(bad);
      } catch (error) {
        expect((error as { code?: string }).code, `byte ${i}`).toMatch(/^DICE_MALFORMED$/);
        continue;
      }
      expect(JSON.stringify({ ...decoded, fwid: toHex(decoded.fwid) }), `byte ${i}`).not.toBe(
        JSON.stringify({ ...tcb, fwid: toHex(tcb.fwid) }),
      );
    }
    expectCode(() => decodeDiceTcbInfo(new Uint8Array([...der, 0])), 'DICE_MALFORMED');
  });

  it('the real H100 leaf carries an older layout under the OID: typed refusal, not a guess', () => {
    const certs = pemToDer(readFileSync(new URL('../fixtures/nvidia/hopper-cert-chain.pem', import.meta.url), 'utf8'));
    const leaf = certs.find((d) => parseCertificate(d).subject.includes('FMC LF'))!;
    expect(findExtensionValue(leaf, OID_TCG_DICE_TCB_INFO)).not.toBeNull();
    expectCode(() => readDiceTcbInfo(leaf), 'DICE_MALFORMED');
  });

  it('alias key depends on firmware, svn and secret, and is a working P-384 key', () => {
    const a = deriveAliasKeyPair(secret, firmware, 3);
    expect(toHex(deriveAliasKeyPair(secret, firmware, 3).privateKey)).toBe(toHex(a.privateKey));
    const otherFw = firmware.slice();
    otherFw[0] = otherFw[0]! ^ 1;
    expect(toHex(deriveAliasKeyPair(secret, otherFw, 3).publicKey)).not.toBe(toHex(a.publicKey));
    expect(toHex(deriveAliasKeyPair(secret, firmware, 4).publicKey)).not.toBe(toHex(a.publicKey));
    expect(toHex(deriveAliasKeyPair(new Uint8Array(32).fill(8), firmware, 3).publicKey)).not.toBe(toHex(a.publicKey));
    const msg = new TextEncoder().encode('m');
    expect(p384Verify(p384Sign(msg, a.privateKey), msg, a.publicKey)).toBe(true);
    expectCode(() => deriveAliasKeyPair(new Uint8Array(16), firmware, 3), 'DEVICE_PKI_BAD_INPUT');
    expectCode(() => deriveAliasKeyPair(secret, firmware.subarray(1), 3), 'DEVICE_PKI_BAD_INPUT');
  });

  it('the leaf certifies exactly the derived alias key', () => {
    const { leaf, alias } = device(4);
    expect(toHex(parseCertificate(leaf.der).p384PublicKey!)).toBe(toHex(alias.publicKey));
  });
});
