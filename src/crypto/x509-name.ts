import { DER, type DerReader, type Tlv, content, decodeOid, inside } from './der.ts';
import { toHex } from './bytes.ts';

/**
 * X.509 Name → text in RFC 4514 syntax (type=value, escaped), but in the order the certificate lists the RDNs
 * (what OpenSSL prints, e.g. `C=US, O=Amazon, OU=AWS, CN=aws.nitro-enclaves`), joined with ", ".
 */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export const NAME_OIDS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SHORT_NAMES).map(([oid, short]) => [short, oid]),
);

// Bounds a hostile Name; real ones have 4–6 attributes.
const NAME_ATTRIBUTES_MAX = 64;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });

/** RFC 4514 §2.4 escaping. */
function escapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\u0000') out += '\\00';
    else if ('\\,+"<>;'.includes(c)) out += `\\${c}`;
    else if ((i === 0 && (c === '#' || c === ' ')) || (i === value.length - 1 && c === ' ')) out += `\\${c}`;
    else out += c;
  }
  return out;
}

function decodeUniversal(value: Uint8Array): string {
  if (value.length % 4 !== 0) throw new Error('bad UniversalString');
  let out = '';
  for (let i = 0; i < value.length; i += 4) {
    out += String.fromCodePoint(((value[i]! << 24) | (value[i + 1]! << 16) | (value[i + 2]! << 8) | value[i + 3]!) >>> 0);
  }
  return out;
}

/** The attribute value as text, or undefined when it is not a string type (then it is shown as #hex). */
function stringValue(bytes: Uint8Array, tlv: Tlv): string | undefined {
  const value = content(bytes, tlv);
  try {
    switch (tlv.tag) {
      case DER.UTF8_STRING:
        return utf8Strict.decode(value);
      case DER.PRINTABLE_STRING:
      case DER.IA5_STRING:
      case DER.TELETEX_STRING:
        return Buffer.from(value).toString('latin1');
      case DER.BMP_STRING:
        return utf16be.decode(value);
      case DER.UNIVERSAL_STRING:
        return decodeUniversal(value);
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function attributeText(bytes: Uint8Array, reader: DerReader): string {
  const attribute = reader.expect(DER.SEQUENCE, 'AttributeTypeAndValue');
  const parts = inside(bytes, attribute);
  const oid = decodeOid(content(bytes, parts.expect(DER.OID, 'attribute type')));
  const valueTlv = parts.next();
  parts.done('AttributeTypeAndValue');
  const name = SHORT_NAMES[oid] ?? oid;
  const text = stringValue(bytes, valueTlv);
  return `${name}=${text === undefined ? `#${toHex(bytes.subarray(valueTlv.start, valueTlv.end))}` : escapeValue(text)}`;
}

/** Renders the Name whose TLV is `name` (a SEQUENCE of RDN SETs). */
export function nameToString(bytes: Uint8Array, name: Tlv): string {
  const rdns = inside(bytes, name);
  const out: string[] = [];
  let attributes = 0;
  while (!rdns.atEnd) {
    const set = rdns.expect(DER.SET, 'RelativeDistinguishedName');
    const members = inside(bytes, set);
    const texts: string[] = [];
    while (!members.atEnd) {
      if (++attributes > NAME_ATTRIBUTES_MAX) members.fail('Name has too many attributes');
      texts.push(attributeText(bytes, members));
    }
    if (texts.length === 0) rdns.fail('empty RelativeDistinguishedName', set.start);
    out.push(texts.join('+'));
  }
  return out.join(', ');
}
