import { EmuError } from '../errors.ts';
import { type CborNode, cborNodeToValue, parseCborTree } from './cbor.ts';
import { CborWriter } from './cbor-writer.ts';
import { P384_SIGNATURE_LENGTH, p384Sign, p384Verify } from './ecdsa.ts';

export interface CoseSign1 {
  /** The protected header exactly as the bstr carried it (the signed bytes). */
  readonly protectedBytes: Uint8Array;
  readonly alg: number;
  readonly unprotected: ReadonlyMap<unknown, unknown>;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  /** Whether the envelope carried CBOR tag 18. */
  readonly tagged: boolean;
}

export const COSE_ALG_ES384 = -35;
export const COSE_SIGN1_TAG = 18;
/** Whole-envelope bound for the generic decoder; attestation documents apply their own, smaller one first. */
export const COSE_MAX_BYTES = 64 * 1024;

/** `{1: -35}`: the only protected header we sign with or accept. */
const PROTECTED_ES384 = Uint8Array.from([0xa1, 0x01, 0x38, 0x22]);
const SIGNATURE1 = 'Signature1';

/** `Sig_structure = ["Signature1", protected, h'', payload]`, CBOR-encoded: the bytes that are signed. */
export function coseSigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  const writer = new CborWriter(payload.length + protectedBytes.length + 32);
  writer.head(4, 4).text(SIGNATURE1).bytes(protectedBytes).bytes(new Uint8Array(0)).bytes(payload);
  return writer.finish();
}

/** Untagged COSE_Sign1 with protected `a1 01 38 22`, empty unprotected map, raw r‖s signature. */
export function encodeCoseSign1Es384(payload: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const signature = p384Sign(coseSigStructure(PROTECTED_ES384, payload), privateKey);
  const writer = new CborWriter(payload.length + 128);
  writer.head(4, 4).bytes(PROTECTED_ES384).head(5, 0).bytes(payload).bytes(signature);
  return writer.finish();
}

function malformed(message: string): never {
  throw new EmuError('COSE_MALFORMED', `COSE_Sign1: ${message}`);
}

/** Tag 18 may wrap the envelope and nothing else may carry a tag (RFC 9052 defines none inside COSE_Sign1 here). */
function refuseNestedTags(node: CborNode, budget: { left: number }): void {
  if (--budget.left < 0) malformed('unprotected header too complex');
  if (node.kind === 'tag') {
    throw new EmuError('CBOR_UNEXPECTED_TAG', `COSE_Sign1: tag ${node.tag} inside the envelope`, { offset: node.start });
  }
  if (node.kind === 'array') for (const item of node.items) refuseNestedTags(item, budget);
  if (node.kind === 'map') {
    for (const [key, value] of node.entries) {
      refuseNestedTags(key, budget);
      refuseNestedTags(value, budget);
    }
  }
}

function decodeProtected(protectedBytes: Uint8Array): number {
  const header = parseCborTree(protectedBytes, 'COSE protected header', { maxBytes: 256, maxDepth: 4 });
  if (header.kind !== 'map') malformed('protected header is not a map');
  let alg: number | undefined;
  for (const [key, value] of header.entries) {
    if (key.kind === 'uint' && key.value === 1) {
      if (value.kind !== 'nint' && value.kind !== 'uint') malformed('alg is not an integer');
      alg = Number(value.value);
    } else {
      malformed('protected header carries more than alg');
    }
  }
  if (alg === undefined) malformed('protected header has no alg');
  if (alg !== COSE_ALG_ES384) {
    throw new EmuError('COSE_UNSUPPORTED_ALG', `COSE_Sign1: alg ${alg} is not ES384 (-35)`, { alg });
  }
  return alg;
}

/** Strict decode (tag 18 optional); errors COSE_MALFORMED, COSE_UNSUPPORTED_ALG plus the CBOR codes. */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  let root = parseCborTree(bytes, 'COSE_Sign1', { allowedTags: [COSE_SIGN1_TAG], maxBytes: COSE_MAX_BYTES });
  let tagged = false;
  if (root.kind === 'tag') {
    tagged = true;
    root = root.item;
  }
  if (root.kind !== 'array' || root.items.length !== 4) malformed('expected an array of 4 items');
  const [protectedNode, unprotectedNode, payloadNode, signatureNode] = root.items as [CborNode, CborNode, CborNode, CborNode];
  if (protectedNode.kind !== 'bytes') malformed('protected header is not a byte string');
  if (unprotectedNode.kind !== 'map') malformed('unprotected header is not a map');
  if (payloadNode.kind !== 'bytes') malformed('payload is not a byte string (detached payloads are not supported)');
  if (signatureNode.kind !== 'bytes') malformed('signature is not a byte string');
  refuseNestedTags(unprotectedNode, { left: 1024 });
  if (protectedNode.value.length === 0) malformed('empty protected header (alg must be protected)');
  const alg = decodeProtected(protectedNode.value);
  if (signatureNode.value.length !== P384_SIGNATURE_LENGTH) {
    malformed(`an ES384 signature is ${P384_SIGNATURE_LENGTH} bytes, got ${signatureNode.value.length}`);
  }
  return {
    protectedBytes: protectedNode.value.slice(),
    alg,
    unprotected: cborNodeToValue(unprotectedNode) as ReadonlyMap<unknown, unknown>,
    payload: payloadNode.value.slice(),
    signature: signatureNode.value.slice(),
    tagged,
  };
}

export function verifyCoseSign1Es384(cose: CoseSign1, publicKey: Uint8Array): boolean {
  if (cose.alg !== COSE_ALG_ES384) return false;
  return p384Verify(cose.signature, coseSigStructure(cose.protectedBytes, cose.payload), publicKey);
}
