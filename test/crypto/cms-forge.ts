import { createCipheriv } from 'node:crypto';
import {
  Attribute,
  ContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  IssuerAndSerialNumber,
  KeyTransRecipientInfo,
  RecipientIdentifier,
  RecipientInfo,
  RecipientInfos,
  UnprotectedAttributes,
} from '@peculiar/asn1-cms';
import { AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Name, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { type BerNode, readBerElement } from '../../src/crypto/ber.ts';
import { aes256CbcIdentifier, rsaesOaepSha256Identifier } from '../../src/crypto/cms-algorithms.ts';
import { recipientKeyIdentifier, rsaOaepSha256Encrypt } from '../../src/crypto/index.ts';
import type { RandomSource } from '../../src/crypto/index.ts';

// Builds CMS messages the production builder never would, to test the parser's refusals.

const buffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer;

export interface ForgeOptions {
  readonly spki: Uint8Array;
  readonly random: RandomSource;
  /** Raw bytes to encrypt with AES-256-CBC without padding; the caller pads (or mis-pads) them. */
  readonly paddedPlaintext: Uint8Array;
  readonly contentKeyBytes?: number;
  readonly version?: number;
  readonly ktriVersion?: number;
  readonly recipients?: number;
  readonly ridIssuerAndSerial?: boolean;
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly keyAlgorithm?: AlgorithmIdentifier;
  readonly contentAlgorithm?: (iv: Uint8Array) => AlgorithmIdentifier;
  readonly ivBytes?: number;
  readonly contentType?: string;
  readonly unprotectedAttribute?: boolean;
  /** Replaces the encrypted content bytes outright (wrong lengths, empty). */
  readonly rawContent?: Uint8Array;
}

export function forgeEnvelopedData(options: ForgeOptions): Uint8Array {
  const contentKey = options.random.bytes(options.contentKeyBytes ?? 32);
  const iv = options.random.bytes(options.ivBytes ?? 16);
  const cipherKey = contentKey.length === 32 ? contentKey : new Uint8Array(32);
  const cipher = createCipheriv('aes-256-cbc', cipherKey, iv.length === 16 ? iv : new Uint8Array(16));
  cipher.setAutoPadding(false);
  const content = Buffer.concat([cipher.update(options.paddedPlaintext), cipher.final()]);
  const encryptedKey = rsaOaepSha256Encrypt(options.spki, contentKey, options.random);
  const rid = options.ridIssuerAndSerial
    ? new RecipientIdentifier({
        issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: new Name(), serialNumber: new Uint8Array([1]).buffer }),
      })
    : new RecipientIdentifier({
        subjectKeyIdentifier: new SubjectKeyIdentifier(
          buffer(options.subjectKeyIdentifier ?? recipientKeyIdentifier(options.spki)),
        ),
      });
  const recipient = () =>
    new RecipientInfo({
      ktri: new KeyTransRecipientInfo({
        version: options.ktriVersion ?? 2,
        rid,
        keyEncryptionAlgorithm: options.keyAlgorithm ?? rsaesOaepSha256Identifier(),
        encryptedKey: new OctetString(buffer(encryptedKey)),
      }),
    });
  const enveloped = new EnvelopedData({
    version: options.version ?? 2,
    recipientInfos: new RecipientInfos(Array.from({ length: options.recipients ?? 1 }, recipient)),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: options.contentType ?? '1.2.840.113549.1.7.1',
      contentEncryptionAlgorithm: (options.contentAlgorithm ?? aes256CbcIdentifier)(iv),
      encryptedContent: new EncryptedContent({
        value: new OctetString(buffer(options.rawContent ?? new Uint8Array(content))),
      }),
    }),
  });
  if (options.unprotectedAttribute) {
    enveloped.unprotectedAttrs = new UnprotectedAttributes([
      new Attribute({ attrType: '1.2.3.4', attrValues: [new Uint8Array([0x05, 0x00]).buffer] }),
    ]);
  }
  return new Uint8Array(
    AsnSerializer.serialize(
      new ContentInfo({ contentType: '1.2.840.113549.1.7.3', content: AsnSerializer.serialize(enveloped) }),
    ),
  );
}

export function algorithm(oid: string, parameters?: ArrayBuffer | null): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: oid, ...(parameters === undefined ? {} : { parameters }) });
}

function berLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

/**
 * Re-encodes DER as BER the way KMS does: every constructed element with an indefinite length, and the
 * [0] IMPLICIT encrypted content of EncryptedContentInfo (third element of a SEQUENCE that starts with an OID)
 * split into OCTET STRING chunks of `chunkBytes` inside a constructed [0].
 */
export function toIndefiniteBer(der: Uint8Array, chunkBytes: number): Uint8Array {
  const out: number[] = [];
  const emit = (node: BerNode, parent: BerNode | undefined): void => {
    const identifier = der[node.start]!;
    if (node.constructed) {
      out.push(identifier, 0x80);
      for (const child of node.children) emit(child, node);
      out.push(0x00, 0x00);
      return;
    }
    const content = der.subarray(node.contentStart, node.contentEnd);
    const first = parent?.children[0];
    const isEncryptedContent =
      identifier === 0x80 && first !== undefined && der[first.start] === 0x06 && parent!.children[2] === node;
    if (isEncryptedContent && content.length > chunkBytes) {
      out.push(0xa0, 0x80);
      for (let i = 0; i < content.length; i += chunkBytes) {
        const chunk = content.subarray(i, i + chunkBytes);
        out.push(0x04, ...berLength(chunk.length), ...chunk);
      }
      out.push(0x00, 0x00);
      return;
    }
    out.push(...der.subarray(node.start, node.end));
  };
  emit(readBerElement(der, 'TEST'), undefined);
  return new Uint8Array(out);
}
