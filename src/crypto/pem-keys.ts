/**
 * Private keys from PEM for EIF signing: PKCS#8 (`BEGIN PRIVATE KEY`, what `openssl genpkey` writes) and
 * SEC1 (`BEGIN EC PRIVATE KEY`, what `openssl ecparam -genkey` writes, the form nitro-cli's docs show).
 * Only P-384 is accepted: the emulator signs ES384 only. Errors: PEM_MALFORMED, KEY_MALFORMED,
 * KEY_UNSUPPORTED, KEY_MISMATCH.
 */
import { p384 } from '@noble/curves/nist.js';
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, BitString, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { EmuError } from '../errors.ts';
import { equalBytes, fromBase64 } from './bytes.ts';

export interface P384PrivateKey {
  /** 48-byte scalar. */
  readonly privateKey: Uint8Array;
  /** 97-byte uncompressed SEC1 point derived from the scalar. */
  readonly publicKey: Uint8Array;
}

const PEM_BYTES_MAX = 16 * 1024;
const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const SECP384R1 = '1.3.132.0.34';
// DER of the namedCurve OID secp384r1, as it appears in AlgorithmIdentifier.parameters.
const SECP384R1_DER = new Uint8Array([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]);

// Schemas are declared by calling the asn1-schema decorators as functions: the project compiles without
// legacy decorator syntax.
class EcPrivateKeyAsn {
  version = 0;
  privateKey = new OctetString();
  parameters?: string;
  publicKey?: BitString;
}
AsnProp({ type: AsnPropTypes.Integer })(EcPrivateKeyAsn.prototype, 'version');
AsnProp({ type: OctetString })(EcPrivateKeyAsn.prototype, 'privateKey');
AsnProp({ type: AsnPropTypes.ObjectIdentifier, context: 0, optional: true })(EcPrivateKeyAsn.prototype, 'parameters');
AsnProp({ type: BitString, context: 1, optional: true })(EcPrivateKeyAsn.prototype, 'publicKey');
AsnType({ type: AsnTypeTypes.Sequence })(EcPrivateKeyAsn);

class PrivateKeyInfoAsn {
  version = 0;
  privateKeyAlgorithm = new AlgorithmIdentifier();
  privateKey = new OctetString();
  attributes?: ArrayBuffer;
  publicKey?: ArrayBuffer;
}
AsnProp({ type: AsnPropTypes.Integer })(PrivateKeyInfoAsn.prototype, 'version');
AsnProp({ type: AlgorithmIdentifier })(PrivateKeyInfoAsn.prototype, 'privateKeyAlgorithm');
AsnProp({ type: OctetString })(PrivateKeyInfoAsn.prototype, 'privateKey');
AsnProp({ type: AsnPropTypes.Any, context: 0, implicit: true, optional: true })(PrivateKeyInfoAsn.prototype, 'attributes');
AsnProp({ type: AsnPropTypes.Any, context: 1, implicit: true, optional: true })(PrivateKeyInfoAsn.prototype, 'publicKey');
AsnType({ type: AsnTypeTypes.Sequence })(PrivateKeyInfoAsn);

interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

function pemBlocks(pem: string): PemBlock[] {
  if (pem.length > PEM_BYTES_MAX) throw new EmuError('PEM_MALFORMED', `PEM text longer than ${PEM_BYTES_MAX} characters`);
  const blocks: PemBlock[] = [];
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END \1-----/g;
  for (const match of pem.matchAll(pattern)) {
    const body = match[2]!.replace(/[\r\n]/g, '');
    blocks.push({ label: match[1]!, der: fromBase64(body) });
  }
  if (blocks.length === 0) throw new EmuError('PEM_MALFORMED', 'no PEM block found');
  return blocks;
}

function parseAsn<T>(der: Uint8Array, schema: new () => T, what: string): T {
  try {
    return AsnConvert.parse(der, schema);
  } catch (error) {
    throw new EmuError('KEY_MALFORMED', `${what} is not valid DER: ${(error as Error).message}`);
  }
}

function fromEcPrivateKey(der: Uint8Array, curveFromOuter: boolean): P384PrivateKey {
  const ec = parseAsn(der, EcPrivateKeyAsn, 'ECPrivateKey');
  if (ec.version !== 1) throw new EmuError('KEY_MALFORMED', `ECPrivateKey version must be 1, got ${ec.version}`);
  if (ec.parameters !== undefined && ec.parameters !== SECP384R1) {
    throw new EmuError('KEY_UNSUPPORTED', `only P-384 keys are supported, got curve ${ec.parameters}`);
  }
  if (ec.parameters === undefined && !curveFromOuter) {
    throw new EmuError('KEY_MALFORMED', 'SEC1 key without a named curve');
  }
  const scalar = new Uint8Array(ec.privateKey.buffer.slice(0));
  if (scalar.length !== 48 || !p384.utils.isValidSecretKey(scalar)) {
    throw new EmuError('KEY_MALFORMED', 'the private scalar is not a valid P-384 secret key');
  }
  const publicKey = p384.getPublicKey(scalar, false);
  if (ec.publicKey !== undefined) {
    const embedded = new Uint8Array(ec.publicKey.value);
    if (ec.publicKey.unusedBits !== 0 || !equalBytes(embedded, publicKey)) {
      throw new EmuError('KEY_MISMATCH', 'the public key embedded in the private key does not match its scalar');
    }
  }
  return { privateKey: scalar, publicKey };
}

/** Reads the first private key block of a PEM file (an `EC PARAMETERS` block before it is skipped). */
export function parseP384PrivateKeyPem(pem: string): P384PrivateKey {
  const block = pemBlocks(pem).find((b) => b.label === 'PRIVATE KEY' || b.label === 'EC PRIVATE KEY');
  if (block === undefined) throw new EmuError('PEM_MALFORMED', 'no PRIVATE KEY or EC PRIVATE KEY block');
  if (block.label === 'EC PRIVATE KEY') return fromEcPrivateKey(block.der, false);
  const info = parseAsn(block.der, PrivateKeyInfoAsn, 'PrivateKeyInfo');
  if (info.version !== 0 && info.version !== 1) throw new EmuError('KEY_MALFORMED', `PKCS#8 version ${info.version}`);
  const algorithm = info.privateKeyAlgorithm;
  if (algorithm.algorithm !== ID_EC_PUBLIC_KEY) {
    throw new EmuError('KEY_UNSUPPORTED', `only EC keys are supported, got algorithm ${algorithm.algorithm}`);
  }
  const params = algorithm.parameters ? new Uint8Array(algorithm.parameters) : new Uint8Array(0);
  if (!equalBytes(params, SECP384R1_DER)) throw new EmuError('KEY_UNSUPPORTED', 'only P-384 keys are supported');
  return fromEcPrivateKey(new Uint8Array(info.privateKey.buffer.slice(0)), true);
}
