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

/** `Sig_structure = ["Signature1", protected, h'', payload]`, CBOR-encoded: the bytes that are signed. */
export function coseSigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  throw new Error('TODO');
}

/** Untagged COSE_Sign1 with protected `a1 01 38 22`, empty unprotected map, raw r‖s signature. */
export function encodeCoseSign1Es384(payload: Uint8Array, privateKey: Uint8Array): Uint8Array {
  throw new Error('TODO');
}

/** Strict decode (tag 18 optional); errors COSE_MALFORMED, COSE_UNSUPPORTED_ALG plus the CBOR codes. */
export function decodeCoseSign1(bytes: Uint8Array): CoseSign1 {
  throw new Error('TODO');
}

export function verifyCoseSign1Es384(cose: CoseSign1, publicKey: Uint8Array): boolean {
  throw new Error('TODO');
}
