import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, KeyUsage, KeyUsageFlags } from '@peculiar/asn1-x509';
import { EmuError } from '../errors.ts';
import { DER, DerReader, type Tlv, content, decodeOid, inside } from './der.ts';
import type { KeyUsageBits } from './x509-parse.ts';
import { OID_BASIC_CONSTRAINTS, OID_KEY_USAGE, OID_SUBJECT_KEY_IDENTIFIER } from './x509-values.ts';

/**
 * Certificate extensions. The few small values we act on are decoded by asn1-x509 (cheap at this size); an
 * extension we do not understand is remembered when critical, so chain validation can refuse it (RFC 5280 §4.2).
 */
const EXTENSIONS_MAX = 32;

function malformed(message: string): never {
  throw new EmuError('X509_MALFORMED', `certificate: ${message}`);
}

export interface Extensions {
  isCa: boolean;
  pathLength: number | undefined;
  keyUsage: KeyUsageBits | undefined;
  subjectKeyIdentifier: Uint8Array | undefined;
  unknownCritical: string[];
}

function parseExtensionValue(oid: string, value: Uint8Array, out: Extensions): boolean {
  try {
    if (oid === OID_BASIC_CONSTRAINTS) {
      const bc = AsnConvert.parse(value, BasicConstraints);
      out.isCa = bc.cA;
      out.pathLength = bc.pathLenConstraint;
      if (out.pathLength !== undefined && (!Number.isSafeInteger(out.pathLength) || out.pathLength < 0)) {
        malformed('bad pathLenConstraint');
      }
      return true;
    }
    if (oid === OID_KEY_USAGE) {
      const flags = AsnConvert.parse(value, KeyUsage).toNumber();
      out.keyUsage = {
        digitalSignature: (flags & KeyUsageFlags.digitalSignature) !== 0,
        nonRepudiation: (flags & KeyUsageFlags.nonRepudiation) !== 0,
        keyCertSign: (flags & KeyUsageFlags.keyCertSign) !== 0,
        cRLSign: (flags & KeyUsageFlags.cRLSign) !== 0,
      };
      return true;
    }
    if (oid === OID_SUBJECT_KEY_IDENTIFIER) {
      const reader = new DerReader(value);
      out.subjectKeyIdentifier = content(value, reader.expect(DER.OCTET_STRING, 'SubjectKeyIdentifier')).slice();
      reader.done('SubjectKeyIdentifier');
      return true;
    }
  } catch (error) {
    if (error instanceof EmuError) throw error;
    malformed(`extension ${oid} does not decode`);
  }
  return false;
}

export function parseExtensions(bytes: Uint8Array, tlv: Tlv): Extensions {
  const out: Extensions = { isCa: false, pathLength: undefined, keyUsage: undefined, subjectKeyIdentifier: undefined, unknownCritical: [] };
  const wrapper = inside(bytes, tlv);
  const list = inside(bytes, wrapper.expect(DER.SEQUENCE, 'Extensions'));
  wrapper.done('extensions');
  const seen = new Set<string>();
  while (!list.atEnd) {
    if (seen.size >= EXTENSIONS_MAX) list.fail('too many extensions');
    const extension = inside(bytes, list.expect(DER.SEQUENCE, 'Extension'));
    const oid = decodeOid(content(bytes, extension.expect(DER.OID, 'extnID')));
    if (seen.has(oid)) malformed(`extension ${oid} appears twice`);
    seen.add(oid);
    let critical = false;
    const criticalTlv = extension.optional(DER.BOOLEAN);
    if (criticalTlv !== undefined) {
      const flag = content(bytes, criticalTlv);
      // DER: DEFAULT FALSE is omitted, and TRUE is 0xff.
      if (flag.length !== 1 || flag[0] !== 0xff) malformed('critical flag is not DER TRUE');
      critical = true;
    }
    const value = content(bytes, extension.expect(DER.OCTET_STRING, 'extnValue'));
    extension.done('Extension');
    const understood = parseExtensionValue(oid, value, out);
    if (critical && !understood) out.unknownCritical.push(oid);
  }
  return out;
}
