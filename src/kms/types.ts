import type { AuditLog, Simulator } from '../sim/index.ts';

/** The principal making a call, e.g. `arn:aws:iam::111122223333:role/parent-instance-role`. */
export interface KmsCaller {
  readonly arn: string;
}

export interface KmsOptions {
  readonly sim: Simulator;
  /** The emulated Nitro root KMS trusts (never the document's cabundle[0]). */
  readonly attestationRootDer: Uint8Array;
  /** Default 'us-east-1'. */
  readonly region?: string;
  /** Default '111122223333'. */
  readonly accountId?: string;
  /** Default 5 minutes: an older document, or one more than 1 minute in the future, is refused (INV-FRESH). */
  readonly maxDocumentAgeMs?: number;
  readonly audit?: AuditLog;
  /** Bound on remembered attestation nonces; default 100 000. */
  readonly noncesMax?: number;
  /** Bound on keys; default 10 000. */
  readonly keysMax?: number;
}

/** One successful hand-out of key material, for checkers of INV-KEYS-ATTESTED. */
export interface KeyRelease {
  readonly operation: 'Decrypt' | 'GenerateDataKey' | 'GenerateDataKeyPair';
  /** The key id (UUID) whose policy allowed the release. */
  readonly keyId: string;
  readonly caller: string;
  readonly via: 'recipient' | 'plaintext';
  /** PCR0 of the attestation document (lowercase hex), when released to a recipient. */
  readonly pcr0?: string;
  /** SHA-256 (hex) of the recipient's SPKI: the key the material was encrypted to. */
  readonly recipientKeySha256?: string;
  /** The attestation document's timestamp and nonce (hex), when released to a recipient (INV-FRESH). */
  readonly documentTimeMs?: number;
  readonly nonceHex?: string;
  readonly timeMs: number;
}

export type EncryptionContext = Readonly<Record<string, string>>;

export interface RecipientInfo {
  readonly KeyEncryptionAlgorithm: string;
  readonly AttestationDocument: Uint8Array;
}

export interface KeyMetadata {
  readonly AWSAccountId: string;
  readonly KeyId: string;
  readonly Arn: string;
  /** Epoch seconds, as the JSON protocol carries timestamps. */
  readonly CreationDate: number;
  readonly Enabled: boolean;
  readonly Description: string;
  readonly KeyUsage: 'ENCRYPT_DECRYPT';
  readonly KeyState: 'Enabled' | 'Disabled';
  readonly Origin: 'AWS_KMS';
  readonly KeyManager: 'CUSTOMER';
  readonly KeySpec: 'SYMMETRIC_DEFAULT';
  readonly CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT';
  readonly EncryptionAlgorithms: readonly ['SYMMETRIC_DEFAULT'];
  readonly MultiRegion: false;
}

interface KeyRef {
  readonly KeyId: string;
}
interface Crypto {
  readonly EncryptionContext?: EncryptionContext;
  readonly GrantTokens?: readonly string[];
  readonly DryRun?: boolean;
}
interface Attested {
  readonly Recipient?: RecipientInfo;
}
interface DataKeySize {
  readonly NumberOfBytes?: number;
  readonly KeySpec?: 'AES_256' | 'AES_128';
}
interface Page {
  readonly Limit?: number;
  readonly Marker?: string;
}
interface PageOut {
  readonly Truncated: boolean;
  readonly NextMarker?: string;
}

/** Request and response shapes per operation, with the AWS field names; blobs are Uint8Array. */
export interface KmsOperations {
  CreateKey: {
    request: {
      readonly Policy?: string;
      readonly Description?: string;
      readonly KeyUsage?: 'ENCRYPT_DECRYPT';
      readonly KeySpec?: 'SYMMETRIC_DEFAULT';
      readonly BypassPolicyLockoutSafetyCheck?: boolean;
    };
    response: { readonly KeyMetadata: KeyMetadata };
  };
  DescribeKey: { request: KeyRef & { readonly GrantTokens?: readonly string[] }; response: { readonly KeyMetadata: KeyMetadata } };
  ListKeys: { request: Page; response: PageOut & { readonly Keys: readonly { KeyId: string; KeyArn: string }[] } };
  CreateAlias: { request: { readonly AliasName: string; readonly TargetKeyId: string }; response: Record<string, never> };
  ListAliases: {
    request: Page & { readonly KeyId?: string };
    response: PageOut & {
      readonly Aliases: readonly { AliasName: string; AliasArn: string; TargetKeyId: string }[];
    };
  };
  PutKeyPolicy: {
    request: KeyRef & { readonly Policy: string; readonly PolicyName?: string; readonly BypassPolicyLockoutSafetyCheck?: boolean };
    response: Record<string, never>;
  };
  GetKeyPolicy: {
    request: KeyRef & { readonly PolicyName?: string };
    response: { readonly Policy: string; readonly PolicyName: 'default' };
  };
  EnableKey: { request: KeyRef; response: Record<string, never> };
  DisableKey: { request: KeyRef; response: Record<string, never> };
  Encrypt: {
    request: KeyRef & Crypto & { readonly Plaintext: Uint8Array; readonly EncryptionAlgorithm?: string };
    response: { readonly CiphertextBlob: Uint8Array; readonly KeyId: string; readonly EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  };
  Decrypt: {
    request: Crypto &
      Attested & { readonly CiphertextBlob: Uint8Array; readonly KeyId?: string; readonly EncryptionAlgorithm?: string };
    response: {
      readonly KeyId: string;
      readonly Plaintext?: Uint8Array;
      readonly CiphertextForRecipient?: Uint8Array;
      readonly EncryptionAlgorithm: 'SYMMETRIC_DEFAULT';
    };
  };
  GenerateDataKey: {
    request: KeyRef & Crypto & Attested & DataKeySize;
    response: {
      readonly CiphertextBlob: Uint8Array;
      readonly Plaintext?: Uint8Array;
      readonly CiphertextForRecipient?: Uint8Array;
      readonly KeyId: string;
    };
  };
  GenerateDataKeyWithoutPlaintext: {
    request: KeyRef & Crypto & DataKeySize;
    response: { readonly CiphertextBlob: Uint8Array; readonly KeyId: string };
  };
  GenerateDataKeyPair: {
    request: KeyRef & Crypto & Attested & { readonly KeyPairSpec: 'RSA_2048' | 'ECC_NIST_P384' };
    response: {
      readonly PrivateKeyCiphertextBlob: Uint8Array;
      readonly PrivateKeyPlaintext?: Uint8Array;
      readonly CiphertextForRecipient?: Uint8Array;
      /** DER SubjectPublicKeyInfo. */
      readonly PublicKey: Uint8Array;
      readonly KeyId: string;
      readonly KeyPairSpec: 'RSA_2048' | 'ECC_NIST_P384';
    };
  };
  GenerateRandom: {
    request: Attested & { readonly NumberOfBytes: number; readonly CustomKeyStoreId?: string };
    response: { readonly Plaintext?: Uint8Array; readonly CiphertextForRecipient?: Uint8Array };
  };
}

export type KmsOperation = keyof KmsOperations;
export type KmsRequest<Op extends KmsOperation> = KmsOperations[Op]['request'];
export type KmsResponse<Op extends KmsOperation> = KmsOperations[Op]['response'];
