// Internal pieces of src/kms that only its own tests reach directly.
export { globMatch } from '../../src/kms/glob.ts';
export { conditionHolds } from '../../src/kms/policy-eval.ts';
export { parseBlob, keyIdFromBytes, BLOB_HEADER_LENGTH, IV_LENGTH } from '../../src/kms/ciphertext.ts';
export { p384Pkcs8, p384Spki } from '../../src/kms/key-pairs.ts';
export { NonceCache } from '../../src/kms/nonce-cache.ts';
