import { EmuError } from '../errors.ts';
import { DER, DerReader, type Tlv, content, inside, unsignedIntegerBytes } from './der.ts';
import { P384_SCALAR_LENGTH } from './ecdsa.ts';

/** Small X.509 value decoders: object identifiers we act on, times, and ECDSA signature values. */
export const OID_ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';
export const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const OID_SECP384R1 = '1.3.132.0.34';
export const OID_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_KEY_USAGE = '2.5.29.15';
export const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
export const OID_AUTHORITY_KEY_IDENTIFIER = '2.5.29.35';
export const OID_CRL_DISTRIBUTION_POINTS = '2.5.29.31';

function malformed(message: string): never {
  throw new EmuError('X509_MALFORMED', `certificate: ${message}`);
}

function twoDigits(text: string, at: number): number {
  const hi = text.charCodeAt(at) - 48;
  const lo = text.charCodeAt(at + 1) - 48;
  if (hi < 0 || hi > 9 || lo < 0 || lo > 9) malformed(`bad digit in time "${text}"`);
  return hi * 10 + lo;
}

/** UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ`, the only forms RFC 5280 §4.1.2.5 allows. */
export function parseX509Time(bytes: Uint8Array, tlv: Tlv): number {
  const text = Buffer.from(content(bytes, tlv)).toString('latin1');
  let year: number;
  let rest: number;
  if (tlv.tag === DER.UTC_TIME && text.length === 13) {
    const yy = twoDigits(text, 0);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = 2;
  } else if (tlv.tag === DER.GENERALIZED_TIME && text.length === 15) {
    year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
    rest = 4;
  } else {
    return malformed(`unsupported time encoding "${text}"`);
  }
  if (text[text.length - 1] !== 'Z') malformed(`time "${text}" is not in UTC (Z)`);
  const month = twoDigits(text, rest);
  const day = twoDigits(text, rest + 2);
  const hour = twoDigits(text, rest + 4);
  const minute = twoDigits(text, rest + 6);
  const second = twoDigits(text, rest + 8);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 Feb into March; reading the fields back catches every out-of-range part.
  const check = new Date(ms);
  if (
    month < 1 ||
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    malformed(`time "${text}" is out of range`);
  }
  return ms;
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } → r‖s, each left-padded to 48 bytes. */
export function ecdsaDerToRaw(signatureDer: Uint8Array): Uint8Array {
  const outer = new DerReader(signatureDer);
  const sequence = outer.expect(DER.SEQUENCE, 'ECDSA-Sig-Value');
  outer.done('ECDSA-Sig-Value');
  const parts = inside(signatureDer, sequence);
  const r = unsignedIntegerBytes(signatureDer, parts.next());
  const s = unsignedIntegerBytes(signatureDer, parts.next());
  parts.done('ECDSA-Sig-Value');
  if (r.length > P384_SCALAR_LENGTH || s.length > P384_SCALAR_LENGTH) malformed('ECDSA r or s longer than 48 bytes');
  const raw = new Uint8Array(2 * P384_SCALAR_LENGTH);
  raw.set(r, P384_SCALAR_LENGTH - r.length);
  raw.set(s, 2 * P384_SCALAR_LENGTH - s.length);
  return raw;
}
