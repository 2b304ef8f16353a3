import { concatBytes } from './bytes.ts';
import { EmuError } from '../errors.ts';
import { type BerNode, isContext, isUniversal, readBerElement } from './ber.ts';

// The exact element layout a CiphertextForRecipient may have, checked on the raw BER tree before the schema
// library maps it. The library skips what it does not expect; this does not.

const SEQUENCE = 16;
const SET = 17;
const INTEGER = 2;
const OCTET_STRING = 4;
const OBJECT_IDENTIFIER = 6;

/** A CMS message larger than this is refused before parsing; KMS answers are a few kilobytes. */
export const CMS_BYTES_MAX = 1 << 20;
/** Content chunks of a constructed OCTET STRING; real encoders use 1000-byte or larger chunks. */
const CONTENT_CHUNKS_MAX = 4096;

function malformed(message: string): EmuError {
  return new EmuError('CMS_MALFORMED', message);
}

function unsupported(message: string): EmuError {
  return new EmuError('CMS_UNSUPPORTED', message);
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw malformed(message);
}

export interface CmsShape {
  /** The encrypted content, joined from its chunks when the encoder split it (BER constructed form). */
  readonly encryptedContent: Uint8Array;
}

function contentBytes(bytes: Uint8Array, node: BerNode): Uint8Array {
  return bytes.slice(node.contentStart, node.contentEnd);
}

/** Joins [0] IMPLICIT OCTET STRING content, primitive or constructed from primitive OCTET STRING chunks. */
function encryptedContentOf(bytes: Uint8Array, node: BerNode): Uint8Array {
  if (!node.constructed) return contentBytes(bytes, node);
  expect(node.children.length <= CONTENT_CHUNKS_MAX, 'encrypted content has too many chunks');
  const chunks = node.children.map((chunk) => {
    expect(isUniversal(chunk, OCTET_STRING, false), 'encrypted content chunk is not a primitive OCTET STRING');
    return contentBytes(bytes, chunk);
  });
  return concatBytes(...chunks);
}

/**
 * ContentInfo { OID, [0] EnvelopedData { INTEGER, SET { KTRI }, EncryptedContentInfo } } with
 * KTRI { INTEGER, [0] SKI, AlgorithmIdentifier, OCTET STRING } and
 * EncryptedContentInfo { OID, AlgorithmIdentifier, [0] content }. Errors CMS_MALFORMED / CMS_UNSUPPORTED.
 */
export function checkCmsShape(bytes: Uint8Array): CmsShape {
  if (bytes.length > CMS_BYTES_MAX) throw malformed(`CMS message of ${bytes.length} bytes exceeds ${CMS_BYTES_MAX}`);
  const root = readBerElement(bytes, 'CMS_MALFORMED');
  expect(isUniversal(root, SEQUENCE, true) && root.children.length === 2, 'ContentInfo is not a 2-element SEQUENCE');
  const [contentType, explicitContent] = root.children as [BerNode, BerNode];
  expect(isUniversal(contentType, OBJECT_IDENTIFIER, false), 'ContentInfo contentType is not an OID');
  expect(
    isContext(explicitContent, 0) && explicitContent.constructed && explicitContent.children.length === 1,
    'ContentInfo content is not [0] EXPLICIT',
  );
  const enveloped = explicitContent.children[0]!;
  expect(isUniversal(enveloped, SEQUENCE, true), 'EnvelopedData is not a SEQUENCE');
  const fields = enveloped.children;
  if (fields.some((field) => field.tagClass !== 0)) {
    throw unsupported('EnvelopedData with originatorInfo or unprotectedAttrs is not supported');
  }
  expect(fields.length === 3, 'EnvelopedData must have version, recipientInfos, encryptedContentInfo');
  const [version, recipientInfos, encryptedContentInfo] = fields as [BerNode, BerNode, BerNode];
  expect(isUniversal(version, INTEGER, false), 'EnvelopedData version is not an INTEGER');
  expect(isUniversal(recipientInfos, SET, true), 'recipientInfos is not a SET');
  if (recipientInfos.children.length !== 1) throw unsupported('exactly one recipient is supported');
  const recipient = recipientInfos.children[0]!;
  if (!isUniversal(recipient, SEQUENCE, true)) throw unsupported('only KeyTransRecipientInfo is supported');
  expect(recipient.children.length === 4, 'KeyTransRecipientInfo must have 4 fields');
  const [ktriVersion, rid, keyAlgorithm, encryptedKey] = recipient.children as [BerNode, BerNode, BerNode, BerNode];
  expect(isUniversal(ktriVersion, INTEGER, false), 'KeyTransRecipientInfo version is not an INTEGER');
  if (!(isContext(rid, 0) && !rid.constructed)) throw unsupported('recipient must be named by subjectKeyIdentifier');
  expect(isUniversal(keyAlgorithm, SEQUENCE, true), 'keyEncryptionAlgorithm is not a SEQUENCE');
  expect(isUniversal(encryptedKey, OCTET_STRING, false), 'encryptedKey is not a primitive OCTET STRING');
  expect(isUniversal(encryptedContentInfo, SEQUENCE, true), 'EncryptedContentInfo is not a SEQUENCE');
  const eci = encryptedContentInfo.children;
  expect(eci.length === 3, 'EncryptedContentInfo must carry contentType, algorithm and encryptedContent');
  const [eciType, contentAlgorithm, content] = eci as [BerNode, BerNode, BerNode];
  expect(isUniversal(eciType, OBJECT_IDENTIFIER, false), 'encrypted contentType is not an OID');
  expect(isUniversal(contentAlgorithm, SEQUENCE, true), 'contentEncryptionAlgorithm is not a SEQUENCE');
  expect(isContext(content, 0), 'encryptedContent is not [0] IMPLICIT');
  return { encryptedContent: encryptedContentOf(bytes, content) };
}
