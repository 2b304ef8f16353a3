import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { BasicConstraints, Extension } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { type P384KeyPair, type ParsedCertificate, p384KeyPair, parseCertificate, verifyCertificateChain } from '../../src/crypto/index.ts';
import { type NameAttribute, buildCertificate, buildName, ext } from '../../src/crypto/x509-build.ts';
import { Prng } from '../../src/sim/prng.ts';
import { EPOCH_MS, buildPki, errorCode, expectCode } from './attestation-helpers.ts';

const random = new Prng(77, 'chain-test');
const DAY_MS = 86_400_000;

interface Made {
  readonly cert: ParsedCertificate;
  readonly key: P384KeyPair;
  readonly name: readonly NameAttribute[];
}

/** One certificate with full control over the parts the chain rules look at. */
function make(options: {
  cn: string;
  issuer?: Made;
  extensions: Extension[];
  notBeforeMs?: number;
  notAfterMs?: number;
  signer?: P384KeyPair;
}): Made {
  const key = p384KeyPair(random);
  const name: NameAttribute[] = [['O', 'chain-test'], ['CN', options.cn]];
  const der = buildCertificate({
    serial: random.bytes(8),
    issuer: buildName(options.issuer?.name ?? name),
    subject: buildName(name),
    notBeforeMs: options.notBeforeMs ?? EPOCH_MS - DAY_MS,
    notAfterMs: options.notAfterMs ?? EPOCH_MS + DAY_MS,
    publicKey: key.publicKey,
    extensions: options.extensions,
    signingKey: (options.signer ?? options.issuer?.key ?? key).privateKey,
  });
  return { cert: parseCertificate(der), key, name };
}

const CA = (pathLength?: number): Extension[] => [
  ext.basicConstraints(true, pathLength),
  ext.keyUsage(true, ['keyCertSign', 'cRLSign']),
];
const LEAF = (): Extension[] => [ext.basicConstraints(false), ext.keyUsage(false, ['digitalSignature'])];

const root = make({ cn: 'root', extensions: CA() });
const mid = make({ cn: 'mid', issuer: root, extensions: CA(1) });
const leaf = make({ cn: 'leaf', issuer: mid, extensions: LEAF() });
const AT = EPOCH_MS;

describe('verifyCertificateChain: rules', () => {
  it('accepts a well-formed chain, with or without the root at the end', () => {
    verifyCertificateChain([leaf.cert, mid.cert], root.cert, AT);
    verifyCertificateChain([leaf.cert, mid.cert, root.cert], root.cert, AT);
  });

  it('checks validity of every certificate with inclusive bounds, the root included', () => {
    verifyCertificateChain([leaf.cert, mid.cert], root.cert, leaf.cert.notAfterMs);
    verifyCertificateChain([leaf.cert, mid.cert], root.cert, leaf.cert.notBeforeMs);
    expectCode(() => verifyCertificateChain([leaf.cert, mid.cert], root.cert, leaf.cert.notAfterMs + 1), 'CHAIN_EXPIRED');
    expectCode(() => verifyCertificateChain([leaf.cert, mid.cert], root.cert, leaf.cert.notBeforeMs - 1), 'CHAIN_NOT_YET_VALID');
    const shortRoot = make({ cn: 'short root', extensions: CA(), notAfterMs: AT - 1000 });
    const mid2 = make({ cn: 'mid2', issuer: shortRoot, extensions: CA(1) });
    const leaf2 = make({ cn: 'leaf2', issuer: mid2, extensions: LEAF() });
    expectCode(() => verifyCertificateChain([leaf2.cert, mid2.cert], shortRoot.cert, AT), 'CHAIN_EXPIRED');
    const lateMid = make({ cn: 'late mid', issuer: root, extensions: CA(1), notBeforeMs: AT + 1000 });
    const leaf3 = make({ cn: 'leaf3', issuer: lateMid, extensions: LEAF() });
    expectCode(() => verifyCertificateChain([leaf3.cert, lateMid.cert], root.cert, AT), 'CHAIN_NOT_YET_VALID');
  });

  it('requires each issuer name to match and each signature to verify', () => {
    expectCode(() => verifyCertificateChain([mid.cert, leaf.cert], root.cert, AT), 'CHAIN_KEY_USAGE');
    const otherMid = make({ cn: 'other mid', issuer: root, extensions: CA(1) });
    expectCode(() => verifyCertificateChain([leaf.cert, otherMid.cert], root.cert, AT), 'CHAIN_ISSUER_MISMATCH');
    // Same issuer name, wrong key: a forged intermediate.
    const forgedMid = make({ cn: 'mid', issuer: root, extensions: CA(1), signer: p384KeyPair(random) });
    expectCode(() => verifyCertificateChain([leaf.cert, forgedMid.cert], root.cert, AT), 'CHAIN_UNTRUSTED_ROOT');
    const impostorMid = { ...mid, key: p384KeyPair(random) };
    const forgedLeaf = make({ cn: 'leaf', issuer: impostorMid, extensions: LEAF() });
    expectCode(() => verifyCertificateChain([forgedLeaf.cert, mid.cert], root.cert, AT), 'CHAIN_BAD_SIGNATURE');
    const tampered = { ...leaf.cert, signature: leaf.cert.signature.map((b, i) => (i === 10 ? b ^ 1 : b)) };
    expectCode(() => verifyCertificateChain([tampered, mid.cert], root.cert, AT), 'CHAIN_BAD_SIGNATURE');
  });

  it('anchors only at the pinned root', () => {
    const otherRoot = make({ cn: 'other root', extensions: CA() });
    expectCode(() => verifyCertificateChain([leaf.cert, mid.cert], otherRoot.cert, AT), 'CHAIN_UNTRUSTED_ROOT');
    const twinRoot = make({ cn: 'root', extensions: CA() });
    expectCode(() => verifyCertificateChain([leaf.cert, mid.cert], twinRoot.cert, AT), 'CHAIN_UNTRUSTED_ROOT');
  });

  it('requires issuers to be CAs with keyCertSign, within their pathLen', () => {
    const underLeaf = make({ cn: 'under leaf', issuer: leaf, extensions: LEAF() });
    expectCode(() => verifyCertificateChain([underLeaf.cert, leaf.cert, mid.cert], root.cert, AT), 'CHAIN_NOT_CA');
    const noCertSign = make({ cn: 'no certsign', issuer: root, extensions: [ext.basicConstraints(true), ext.keyUsage(true, ['cRLSign'])] });
    const leaf4 = make({ cn: 'leaf4', issuer: noCertSign, extensions: LEAF() });
    expectCode(() => verifyCertificateChain([leaf4.cert, noCertSign.cert], root.cert, AT), 'CHAIN_KEY_USAGE');
    const noKeyUsage = make({ cn: 'no ku', issuer: root, extensions: [ext.basicConstraints(true)] });
    const leaf5 = make({ cn: 'leaf5', issuer: noKeyUsage, extensions: LEAF() });
    expectCode(() => verifyCertificateChain([leaf5.cert, noKeyUsage.cert], root.cert, AT), 'CHAIN_KEY_USAGE');
    // mid allows one CA below it; two is too many.
    const sub = make({ cn: 'sub', issuer: mid, extensions: CA() });
    const subsub = make({ cn: 'subsub', issuer: sub, extensions: CA() });
    const leaf6 = make({ cn: 'leaf6', issuer: subsub, extensions: LEAF() });
    const leaf7 = make({ cn: 'leaf7', issuer: sub, extensions: LEAF() });
    verifyCertificateChain([leaf7.cert, sub.cert, mid.cert], root.cert, AT);
    expectCode(() => verifyCertificateChain([leaf6.cert, subsub.cert, sub.cert, mid.cert], root.cert, AT), 'CHAIN_PATHLEN');
    const zero = make({ cn: 'zero', issuer: root, extensions: CA(0) });
    const belowZero = make({ cn: 'below zero', issuer: zero, extensions: CA() });
    const leaf8 = make({ cn: 'leaf8', issuer: belowZero, extensions: LEAF() });
    expectCode(() => verifyCertificateChain([leaf8.cert, belowZero.cert, zero.cert], root.cert, AT), 'CHAIN_PATHLEN');
  });

  it('requires the leaf to sign (digitalSignature), not to be a CA and to carry no pathLen', () => {
    const nrOnly = make({ cn: 'nr', issuer: mid, extensions: [ext.basicConstraints(false), ext.keyUsage(false, ['nonRepudiation'])] });
    expectCode(() => verifyCertificateChain([nrOnly.cert, mid.cert], root.cert, AT), 'CHAIN_KEY_USAGE');
    const noKu = make({ cn: 'no ku leaf', issuer: mid, extensions: [ext.basicConstraints(false)] });
    expectCode(() => verifyCertificateChain([noKu.cert, mid.cert], root.cert, AT), 'CHAIN_KEY_USAGE');
    const caLeaf = make({ cn: 'ca leaf', issuer: mid, extensions: [ext.basicConstraints(true), ext.keyUsage(true, ['digitalSignature', 'keyCertSign'])] });
    expectCode(() => verifyCertificateChain([caLeaf.cert, mid.cert], root.cert, AT), 'CHAIN_KEY_USAGE');
    const withPathLen = new Extension({
      extnID: '2.5.29.19',
      critical: true,
      extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: false, pathLenConstraint: 0 }))),
    });
    const pathLenLeaf = make({ cn: 'pathlen leaf', issuer: mid, extensions: [withPathLen, ext.keyUsage(false, ['digitalSignature'])] });
    expectCode(() => verifyCertificateChain([pathLenLeaf.cert, mid.cert], root.cert, AT), 'CHAIN_PATHLEN');
  });

  it('refuses certificates with critical extensions it does not understand', () => {
    const unknown = new Extension({ extnID: '1.3.6.1.4.1.99999.1', critical: true, extnValue: new OctetString(new Uint8Array([5, 0])) });
    const odd = make({ cn: 'odd', issuer: mid, extensions: [...LEAF(), unknown] });
    expectCode(() => verifyCertificateChain([odd.cert, mid.cert], root.cert, AT), 'CHAIN_UNKNOWN_CRITICAL_EXTENSION');
    const harmless = new Extension({ extnID: '1.3.6.1.4.1.99999.1', critical: false, extnValue: new OctetString(new Uint8Array([5, 0])) });
    verifyCertificateChain([make({ cn: 'fine', issuer: mid, extensions: [...LEAF(), harmless] }).cert, mid.cert], root.cert, AT);
  });
});

describe('verifyCertificateChain: cache', () => {
  it('remembers verified intermediates but re-checks the leaf and every validity', () => {
    const pki = buildPki(4);
    const pkiRoot = parseCertificate(pki.root.der);
    const chain = [pki.leaf.der, ...pki.chain.cabundle.slice(1).reverse()].map(parseCertificate);
    const cache = new Map<string, true>();
    verifyCertificateChain(chain, pkiRoot, EPOCH_MS + 5000, { cache });
    expect([...cache.keys()].sort()).toEqual(
      [
        `${chain[1]!.fingerprintSha256}:${chain[2]!.fingerprintSha256}`,
        `${chain[2]!.fingerprintSha256}:${chain[3]!.fingerprintSha256}`,
        `${chain[3]!.fingerprintSha256}:${pkiRoot.fingerprintSha256}`,
      ].sort(),
    );
    const badLeaf = { ...chain[0]!, signature: chain[0]!.signature.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    expectCode(() => verifyCertificateChain([badLeaf, ...chain.slice(1)], pkiRoot, EPOCH_MS + 5000, { cache }), 'CHAIN_BAD_SIGNATURE');
    // The instance CA lives one day: cached or not, it is expired the day after.
    expect(errorCode(() => verifyCertificateChain(chain, pkiRoot, EPOCH_MS + DAY_MS + 1000, { cache }))).toBe('CHAIN_EXPIRED');
    // A cached link really skips its signature check (what makes repeat verification cheap): a hand-altered copy of
    // the regional certificate (same DER, so same cache key, but a broken signature field) passes with the warm cache
    // and fails with a cold one.
    const badRegional = { ...chain[3]!, signature: chain[3]!.signature.map((b, i) => (i === 5 ? b ^ 1 : b)) };
    verifyCertificateChain([...chain.slice(0, 3), badRegional], pkiRoot, EPOCH_MS + 5000, { cache });
    expectCode(() => verifyCertificateChain([...chain.slice(0, 3), badRegional], pkiRoot, EPOCH_MS + 5000, { cache: new Map() }), 'CHAIN_UNTRUSTED_ROOT');
  });
});
