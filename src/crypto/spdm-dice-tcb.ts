// TCG DICE TcbInfo (OID 2.23.133.5.4.1, TCG DICE Attestation Architecture): the alias certificate's statement of
// which firmware (FWID) at which security version the key was derived for. Only the fields we emit are accepted.
import { EmuError } from '../errors.ts';
import { fromUtf8, utf8 } from './bytes.ts';
import { DER, DerReader, content, decodeOid, inside } from './der.ts';
import { derTlv } from './x509-build.ts';

export const OID_TCG_DICE_TCB_INFO = '2.23.133.5.4.1';
const OID_SHA384 = '2.16.840.1.101.3.4.2.2';
const OID_SHA384_DER = Uint8Array.from([0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02]);
export const DICE_FWID_BYTES = 48;
export const DICE_SVN_MAX = 0x7fffffff;
const DICE_TEXT_CHARS_MAX = 64;

// Context tags, IMPLICIT: vendor [0] UTF8String, model [1] UTF8String, svn [3] INTEGER, fwids [6] SEQUENCE OF FWID.
const TAG_VENDOR = 0x80;
const TAG_MODEL = 0x81;
const TAG_SVN = 0x83;
const TAG_FWIDS = 0xa6;

export interface DiceTcbFields {
  readonly fwid: Uint8Array;
  readonly svn: number;
  readonly vendor: string;
  readonly model: string;
}

function bad(message: string): never {
  throw new EmuError('DICE_MALFORMED', `DICE TcbInfo: ${message}`);
}

export function checkDiceTcb(tcb: DiceTcbFields): void {
  if (!(tcb.fwid instanceof Uint8Array) || tcb.fwid.length !== DICE_FWID_BYTES) {
    throw new EmuError('DICE_BAD_INPUT', `the FWID is a ${DICE_FWID_BYTES}-byte SHA-384 digest`);
  }
  if (!Number.isSafeInteger(tcb.svn) || tcb.svn < 0 || tcb.svn > DICE_SVN_MAX) {
    throw new EmuError('DICE_BAD_INPUT', `svn must be an integer in 0..${DICE_SVN_MAX}`, { svn: tcb.svn });
  }
  for (const text of [tcb.vendor, tcb.model]) {
    if (text.length === 0 || text.length > DICE_TEXT_CHARS_MAX) {
      throw new EmuError('DICE_BAD_INPUT', `vendor and model are 1..${DICE_TEXT_CHARS_MAX} characters`);
    }
  }
}

/** Minimal two's-complement content of a non-negative integer. */
function integerContent(value: number): Uint8Array {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return Uint8Array.from(bytes);
}

export function encodeDiceTcbInfo(tcb: DiceTcbFields): Uint8Array {
  checkDiceTcb(tcb);
  const fwid = derTlv(DER.SEQUENCE, new Uint8Array([...OID_SHA384_DER, ...derTlv(DER.OCTET_STRING, tcb.fwid)]));
  return derTlv(
    DER.SEQUENCE,
    new Uint8Array([
      ...derTlv(TAG_VENDOR, utf8(tcb.vendor)),
      ...derTlv(TAG_MODEL, utf8(tcb.model)),
      ...derTlv(TAG_SVN, integerContent(tcb.svn)),
      ...derTlv(TAG_FWIDS, fwid),
    ]),
  );
}

function text(value: Uint8Array, what: string): string {
  let decoded: string;
  try {
    decoded = fromUtf8(value);
  } catch {
    bad(`${what} is not UTF-8`);
  }
  if (decoded.length === 0 || decoded.length > DICE_TEXT_CHARS_MAX) bad(`${what} length is out of range`);
  return decoded;
}

function svnOf(value: Uint8Array): number {
  if (value.length === 0 || value.length > 5) bad('svn length is out of range');
  if (value[0]! & 0x80) bad('svn is negative');
  if (value.length > 1 && value[0] === 0 && (value[1]! & 0x80) === 0) bad('svn is not in its shortest form');
  let svn = 0;
  for (const b of value) svn = svn * 256 + b;
  if (svn > DICE_SVN_MAX) bad('svn is too large');
  return svn;
}

/** Strict DER: exactly vendor, model, svn and one SHA-384 FWID, in tag order, nothing else. */
export function decodeDiceTcbInfo(der: Uint8Array): DiceTcbFields {
  const outer = new DerReader(der, 0, der.length, 'DICE_MALFORMED');
  const seq = outer.expect(DER.SEQUENCE, 'DiceTcbInfo');
  outer.done('DiceTcbInfo');
  const fields = inside(der, seq, 'DICE_MALFORMED');
  const vendor = text(content(der, fields.expect(TAG_VENDOR, 'vendor [0]')), 'vendor');
  const model = text(content(der, fields.expect(TAG_MODEL, 'model [1]')), 'model');
  const svn = svnOf(content(der, fields.expect(TAG_SVN, 'svn [3]')));
  const list = inside(der, fields.expect(TAG_FWIDS, 'fwids [6]'), 'DICE_MALFORMED');
  fields.done('DiceTcbInfo');
  const fwidSeq = inside(der, list.expect(DER.SEQUENCE, 'FWID'), 'DICE_MALFORMED');
  list.done('fwids (one FWID)');
  const alg = decodeOid(content(der, fwidSeq.expect(DER.OID, 'FWID hashAlg')), 'DICE_MALFORMED');
  if (alg !== OID_SHA384) bad(`FWID hash algorithm ${alg} is not SHA-384`);
  const digest = content(der, fwidSeq.expect(DER.OCTET_STRING, 'FWID digest'));
  fwidSeq.done('FWID');
  if (digest.length !== DICE_FWID_BYTES) bad(`FWID digest is ${digest.length} bytes, not ${DICE_FWID_BYTES}`);
  return { vendor, model, svn, fwid: digest.slice() };
}

/** The extnValue of the TcbInfo extension in a certificate, or null; X509_MALFORMED when the DER is bad. */
export function findExtensionValue(certificateDer: Uint8Array, oid: string): Uint8Array | null {
  const cert = inside(certificateDer, new DerReader(certificateDer).expect(DER.SEQUENCE, 'Certificate'));
  const tbs = inside(certificateDer, cert.expect(DER.SEQUENCE, 'tbsCertificate'));
  // version, serial, signature, issuer, validity, subject, spki; then optional [1], [2], [3].
  tbs.optional(0xa0);
  const FIELDS_BEFORE_EXTENSIONS = 6;
  for (let i = 0; i < FIELDS_BEFORE_EXTENSIONS; i++) tbs.next();
  tbs.optional(0x81);
  tbs.optional(0x82);
  const wrapper = tbs.optional(0xa3);
  if (wrapper === undefined) return null;
  const list = inside(certificateDer, inside(certificateDer, wrapper).expect(DER.SEQUENCE, 'Extensions'));
  for (let i = 0; i < 64 && !list.atEnd; i++) {
    const extension = inside(certificateDer, list.expect(DER.SEQUENCE, 'Extension'));
    const id = decodeOid(content(certificateDer, extension.expect(DER.OID, 'extnID')));
    extension.optional(DER.BOOLEAN);
    const value = content(certificateDer, extension.expect(DER.OCTET_STRING, 'extnValue'));
    if (id === oid) return value;
  }
  return null;
}
