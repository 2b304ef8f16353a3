import { EmuError } from '../errors.ts';
import { type CborNode, parseCborTree } from './cbor-tree.ts';
import { CborWriter } from './cbor-writer.ts';
import { type CoseSign1, decodeCoseSign1 } from './cose.ts';

/** The payload of a Nitro attestation document (research/nitro-attestation-kms.md §1.2). */
export interface AttestationDocument {
  readonly moduleId: string;
  readonly digest: 'SHA384';
  /** ms since the Unix epoch, UTC; encoded as a CBOR uint. */
  readonly timestamp: number;
  /** index → 48-byte value, ascending. */
  readonly pcrs: ReadonlyMap<number, Uint8Array>;
  readonly certificate: Uint8Array;
  /** Root first. */
  readonly cabundle: readonly Uint8Array[];
  readonly publicKey: Uint8Array | null;
  readonly userData: Uint8Array | null;
  readonly nonce: Uint8Array | null;
}

/** Whole COSE document bound (the CDDL's payload bound; real documents are 4.4–4.8 KB). */
export const ATTESTATION_DOC_BYTES_MAX = 16 * 1024;
export const PCR_COUNT_MAX = 32;
export const PCR_LENGTHS: readonly number[] = [32, 48, 64];
export const CERT_BYTES_MAX = 1024;
/** Beyond any real chain (4 entries) while keeping hostile bundles small. */
export const CABUNDLE_ENTRIES_MAX = 16;
export const OPTIONAL_FIELD_BYTES_MAX = 1024;
export const MODULE_ID_BYTES_MAX = 256;

const KEYS = ['module_id', 'digest', 'timestamp', 'pcrs', 'certificate', 'cabundle', 'public_key', 'user_data', 'nonce'] as const;
type Key = (typeof KEYS)[number];
const OPTIONAL_KEYS: ReadonlySet<Key> = new Set(['public_key', 'user_data', 'nonce']);

function badField(field: string, message: string): never {
  throw new EmuError('ATT_BAD_FIELD', `attestation document: ${field} ${message}`, { field });
}

function checkBytes(field: string, value: unknown, minLength: number, maxLength: number): Uint8Array {
  if (!(value instanceof Uint8Array)) badField(field, 'is not a byte string');
  if (value.length < minLength || value.length > maxLength) {
    badField(field, `is ${value.length} bytes, allowed ${minLength}..${maxLength}`);
  }
  return value;
}

/** The §1.2 field rules, shared by the encoder (we never emit what we would refuse) and the parser. */
export function checkAttestationFields(doc: AttestationDocument): void {
  if (typeof doc.moduleId !== 'string' || doc.moduleId.length === 0) badField('module_id', 'is empty');
  if (Buffer.byteLength(doc.moduleId) > MODULE_ID_BYTES_MAX) badField('module_id', `is over ${MODULE_ID_BYTES_MAX} bytes`);
  if (doc.digest !== 'SHA384') badField('digest', `is "${String(doc.digest)}", not "SHA384"`);
  if (!Number.isSafeInteger(doc.timestamp) || doc.timestamp <= 0) badField('timestamp', 'is not a positive integer');
  if (doc.pcrs.size < 1 || doc.pcrs.size > PCR_COUNT_MAX) badField('pcrs', `has ${doc.pcrs.size} entries, allowed 1..${PCR_COUNT_MAX}`);
  for (const [index, value] of doc.pcrs) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= PCR_COUNT_MAX) badField('pcrs', `index ${index} is not in 0..31`);
    if (!(value instanceof Uint8Array) || !PCR_LENGTHS.includes(value.length)) {
      badField('pcrs', `value of PCR${index} is not 32, 48 or 64 bytes`);
    }
  }
  checkBytes('certificate', doc.certificate, 1, CERT_BYTES_MAX);
  if (doc.cabundle.length < 1 || doc.cabundle.length > CABUNDLE_ENTRIES_MAX) {
    badField('cabundle', `has ${doc.cabundle.length} entries, allowed 1..${CABUNDLE_ENTRIES_MAX}`);
  }
  for (const cert of doc.cabundle) checkBytes('cabundle', cert, 1, CERT_BYTES_MAX);
  if (doc.publicKey !== null) checkBytes('public_key', doc.publicKey, 1, OPTIONAL_FIELD_BYTES_MAX);
  if (doc.userData !== null) checkBytes('user_data', doc.userData, 0, OPTIONAL_FIELD_BYTES_MAX);
  if (doc.nonce !== null) checkBytes('nonce', doc.nonce, 0, OPTIONAL_FIELD_BYTES_MAX);
}

function optionalBytes(writer: CborWriter, value: Uint8Array | null): void {
  if (value === null) writer.byte(0xf6);
  else writer.bytes(value);
}

/** Payload CBOR exactly as NSM emits: 9 keys in order, nulls for absent fields; indefinite-length map by default (2025+). */
export function encodeAttestationPayload(doc: AttestationDocument, form: 'indefinite' | 'definite' = 'indefinite'): Uint8Array {
  checkAttestationFields(doc);
  const writer = new CborWriter(4096 + doc.certificate.length * (doc.cabundle.length + 1));
  if (form === 'indefinite') writer.byte(0xbf);
  else writer.head(5, KEYS.length);
  writer.text('module_id').text(doc.moduleId);
  writer.text('digest').text(doc.digest);
  // Shortest form, which for any instant after 1970-02-19 is the `1b` + 8-byte uint real documents carry.
  writer.text('timestamp').head(0, doc.timestamp);
  writer.text('pcrs').head(5, doc.pcrs.size);
  for (const index of [...doc.pcrs.keys()].sort((a, b) => a - b)) writer.head(0, index).bytes(doc.pcrs.get(index)!);
  writer.text('certificate').bytes(doc.certificate);
  writer.text('cabundle').head(4, doc.cabundle.length);
  for (const cert of doc.cabundle) writer.bytes(cert);
  writer.text('public_key');
  optionalBytes(writer, doc.publicKey);
  writer.text('user_data');
  optionalBytes(writer, doc.userData);
  writer.text('nonce');
  optionalBytes(writer, doc.nonce);
  if (form === 'indefinite') writer.byte(0xff);
  return writer.finish();
}

function expectBytes(field: string, node: CborNode, minLength: number, maxLength: number): Uint8Array {
  if (node.kind !== 'bytes') badField(field, `is a ${node.kind}, not a byte string`);
  return checkBytes(field, node.value, minLength, maxLength).slice();
}

function optionalField(field: string, node: CborNode | undefined, minLength: number): Uint8Array | null {
  if (node === undefined || node.kind === 'null') return null;
  return expectBytes(field, node, minLength, OPTIONAL_FIELD_BYTES_MAX);
}

function parsePcrs(node: CborNode): Map<number, Uint8Array> {
  if (node.kind !== 'map') badField('pcrs', 'is not a map');
  if (node.entries.length < 1 || node.entries.length > PCR_COUNT_MAX) {
    badField('pcrs', `has ${node.entries.length} entries, allowed 1..${PCR_COUNT_MAX}`);
  }
  const entries: [number, Uint8Array][] = [];
  for (const [key, value] of node.entries) {
    if (key.kind !== 'uint' || typeof key.value !== 'number') badField('pcrs', `key is a ${key.kind}, not a small uint`);
    if (key.value >= PCR_COUNT_MAX) badField('pcrs', `index ${key.value} is not in 0..31`);
    if (value.kind !== 'bytes' || !PCR_LENGTHS.includes(value.value.length)) {
      badField('pcrs', `value of PCR${key.value} is not a 32, 48 or 64-byte string`);
    }
    entries.push([key.value, value.value.slice()]);
  }
  entries.sort((a, b) => a[0] - b[0]);
  return new Map(entries);
}

function parseFields(fields: ReadonlyMap<Key, CborNode>): AttestationDocument {
  for (const key of KEYS) {
    if (!OPTIONAL_KEYS.has(key) && !fields.has(key)) {
      throw new EmuError('ATT_MISSING_FIELD', `attestation document: ${key} is missing`, { field: key });
    }
  }
  const moduleId = fields.get('module_id')!;
  const digest = fields.get('digest')!;
  const timestamp = fields.get('timestamp')!;
  const cabundle = fields.get('cabundle')!;
  if (moduleId.kind !== 'text') badField('module_id', `is a ${moduleId.kind}, not text`);
  if (digest.kind !== 'text') badField('digest', `is a ${digest.kind}, not text`);
  if (timestamp.kind !== 'uint') {
    badField('timestamp', `is a ${timestamp.kind === 'float' ? `float${timestamp.bits}` : timestamp.kind}, not a uint`);
  }
  if (typeof timestamp.value !== 'number') badField('timestamp', 'is beyond 2^53 ms');
  if (cabundle.kind !== 'array') badField('cabundle', `is a ${cabundle.kind}, not an array`);
  const doc: AttestationDocument = {
    moduleId: moduleId.value,
    digest: digest.value as 'SHA384',
    timestamp: timestamp.value,
    pcrs: parsePcrs(fields.get('pcrs')!),
    certificate: expectBytes('certificate', fields.get('certificate')!, 1, CERT_BYTES_MAX),
    cabundle: cabundle.items.map((item) => expectBytes('cabundle', item, 1, CERT_BYTES_MAX)),
    publicKey: optionalField('public_key', fields.get('public_key'), 1),
    userData: optionalField('user_data', fields.get('user_data'), 0),
    nonce: optionalField('nonce', fields.get('nonce'), 0),
  };
  checkAttestationFields(doc);
  return doc;
}

/**
 * Strict syntactic parse (both map forms) with the field rules of §1.2: error codes ATT_MALFORMED,
 * ATT_MISSING_FIELD, ATT_BAD_FIELD (wrong type, float timestamp, bad PCR index/length, sizes), ATT_TOO_LARGE, plus
 * COSE_* and CBOR_* from below.
 */
export function parseAttestationDocument(bytes: Uint8Array): { readonly cose: CoseSign1; readonly doc: AttestationDocument } {
  if (!(bytes instanceof Uint8Array)) throw new EmuError('ATT_MALFORMED', 'attestation document: expected bytes');
  if (bytes.length > ATTESTATION_DOC_BYTES_MAX) {
    throw new EmuError('ATT_TOO_LARGE', `attestation document: ${bytes.length} bytes is over ${ATTESTATION_DOC_BYTES_MAX}`, {
      length: bytes.length,
    });
  }
  const cose = decodeCoseSign1(bytes);
  const root = parseCborTree(cose.payload, 'attestation payload', { maxBytes: ATTESTATION_DOC_BYTES_MAX, maxDepth: 4 });
  if (root.kind !== 'map') throw new EmuError('ATT_MALFORMED', 'attestation document: payload is not a map');
  const fields = new Map<Key, CborNode>();
  for (const [key, value] of root.entries) {
    if (key.kind !== 'text' || !(KEYS as readonly string[]).includes(key.value)) {
      throw new EmuError('ATT_MALFORMED', `attestation document: unexpected key ${key.kind === 'text' ? `"${key.value}"` : `of type ${key.kind}`}`);
    }
    // Same key spelled differently (e.g. an indefinite-length text string) escapes the walker's byte comparison.
    if (fields.has(key.value as Key)) {
      throw new EmuError('CBOR_DUPLICATE_KEY', `attestation document: key "${key.value}" appears twice`);
    }
    fields.set(key.value as Key, value);
  }
  return { cose, doc: parseFields(fields) };
}
