import type { RevocationSource } from '../crypto/index.ts';
import type { AuditLog, Simulator } from '../sim/index.ts';

/** The principal making a call, e.g. `arn:aws:iam::111122223333:role/parent-instance-role`. */
export interface KmsCaller {
  readonly arn: string;
}

/**
 * The KMS's defence switches (names as in the world's defence registry, src/world/options.ts). All default to on;
 * each one off reproduces a known verifier or service bug for a negative control.
 */
export interface KmsDefences {
  /** Off: trust the document's own cabundle[0] as the root (the classic verifier bug, PA-04). */
  readonly kmsPinnedRoot: boolean;
  /** Off: with a Recipient, the secret still comes back as Plaintext and no CiphertextForRecipient (PA-03, PA-05). */
  readonly kmsRecipientEncryption: boolean;
  /** Off: a document's nonce may be used again (PA-11). */
  readonly kmsNonceSingleUse: boolean;
  /** Off: documents of any age are accepted (PA-14); a document dated in the future is still refused. */
  readonly kmsDocumentFreshness: boolean;
  /** On: CreateKey/PutKeyPolicy refuse a policy with lint errors (lint.ts). Off: unknown condition keys are stored too. */
  readonly policyLint: boolean;
  /** Off: revoked certificates in a document's chain are accepted (RB-05). */
  readonly revocationChecked: boolean;
}

export const ALL_KMS_DEFENCES: KmsDefences = Object.freeze({
  kmsPinnedRoot: true,
  kmsRecipientEncryption: true,
  kmsNonceSingleUse: true,
  kmsDocumentFreshness: true,
  policyLint: true,
  revocationChecked: true,
});

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
  /** Default all on; extra fields (a whole WorldDefences) are ignored. */
  readonly defences?: Partial<KmsDefences>;
  /** The platform's published revocation list (the Nitro controller's), consulted when `revocationChecked` is on. */
  readonly revocation?: RevocationSource;
  /** Bound on grants; default 10 000. */
  readonly grantsMax?: number;
}

/** One successful hand-out of key material, for checkers of INV-KEYS-ATTESTED. */
export interface KeyRelease {
  readonly operation: 'Decrypt' | 'GenerateDataKey' | 'GenerateDataKeyPair' | 'DeriveSharedSecret' | 'ReEncrypt';
  /** The key id (UUID) whose policy allowed the release. */
  readonly keyId: string;
  readonly caller: string;
  /**
   * 'recipient': inside CiphertextForRecipient; 'plaintext': in the clear to the caller; 'reencrypt': the plaintext
   * stayed in KMS but is now under another key (DestinationKeyId), which the caller may be able to open.
   */
  readonly via: 'recipient' | 'plaintext' | 'reencrypt';
  /** For 'reencrypt': the key the material was re-encrypted to. */
  readonly destinationKeyId?: string;
  /** The grant that authorized the release, when the key policy alone did not. */
  readonly grantId?: string;
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

export type KeyUsage = 'ENCRYPT_DECRYPT' | 'KEY_AGREEMENT';
export type KeySpec = 'SYMMETRIC_DEFAULT' | 'ECC_NIST_P384';
export type GrantOperation =
  | 'Decrypt'
  | 'Encrypt'
  | 'GenerateDataKey'
  | 'GenerateDataKeyWithoutPlaintext'
  | 'GenerateDataKeyPair'
  | 'ReEncryptFrom'
  | 'ReEncryptTo'
  | 'CreateGrant'
  | 'RetireGrant'
  | 'DescribeKey'
  | 'GetPublicKey'
  | 'DeriveSharedSecret';

export interface GrantConstraints {
  readonly EncryptionContextSubset?: EncryptionContext;
  readonly EncryptionContextEquals?: EncryptionContext;
}

export interface GrantListEntry {
  readonly KeyId: string;
  readonly GrantId: string;
  readonly Name?: string;
  /** Epoch seconds. */
  readonly CreationDate: number;
  readonly GranteePrincipal: string;
  readonly RetiringPrincipal?: string;
  readonly IssuingAccount: string;
  readonly Operations: readonly GrantOperation[];
  readonly Constraints?: GrantConstraints;
}

export interface KeyMetadata {
  readonly AWSAccountId: string;
  readonly KeyId: string;
  readonly Arn: string;
  /** Epoch seconds, as the JSON protocol carries timestamps. */
  readonly CreationDate: number;
  readonly Enabled: boolean;
  readonly Description: string;
  readonly KeyUsage: KeyUsage;
  readonly KeyState: 'Enabled' | 'Disabled' | 'PendingDeletion';
  /** Epoch seconds; only while the key is pending deletion. */
  readonly DeletionDate?: number;
  readonly Origin: 'AWS_KMS';
  readonly KeyManager: 'CUSTOMER';
  readonly KeySpec: KeySpec;
  readonly CustomerMasterKeySpec: KeySpec;
  /** Symmetric keys only. */
  readonly EncryptionAlgorithms?: readonly ['SYMMETRIC_DEFAULT'];
  /** KEY_AGREEMENT keys only. */
  readonly KeyAgreementAlgorithms?: readonly ['ECDH'];
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
      readonly KeyUsage?: KeyUsage;
      /** ECC_NIST_P384 needs KeyUsage KEY_AGREEMENT (the only asymmetric use emulated). */
      readonly KeySpec?: KeySpec;
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
  /** 7 to 30 days (default 30); the key is disabled at once and deleted with its aliases and grants when it ends. */
  ScheduleKeyDeletion: {
    request: KeyRef & { readonly PendingWindowInDays?: number };
    response: {
      readonly KeyId: string;
      /** Epoch seconds. */
      readonly DeletionDate: number;
      readonly KeyState: 'PendingDeletion';
      readonly PendingWindowInDays: number;
    };
  };
  /** The key comes back Disabled, as in real KMS. */
  CancelKeyDeletion: { request: KeyRef; response: { readonly KeyId: string } };
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
  CreateGrant: {
    request: KeyRef & {
      readonly GranteePrincipal: string;
      readonly Operations: readonly GrantOperation[];
      readonly RetiringPrincipal?: string;
      readonly Constraints?: GrantConstraints;
      readonly Name?: string;
      readonly GrantTokens?: readonly string[];
      readonly DryRun?: boolean;
    };
    response: { readonly GrantId: string; readonly GrantToken: string };
  };
  ListGrants: {
    request: KeyRef & Page & { readonly GrantId?: string; readonly GranteePrincipal?: string };
    response: PageOut & { readonly Grants: readonly GrantListEntry[] };
  };
  /** By GrantToken, or by KeyId and GrantId. */
  RetireGrant: {
    request: { readonly GrantToken?: string; readonly KeyId?: string; readonly GrantId?: string; readonly DryRun?: boolean };
    response: Record<string, never>;
  };
  RevokeGrant: { request: KeyRef & { readonly GrantId: string; readonly DryRun?: boolean }; response: Record<string, never> };
  GetPublicKey: {
    request: KeyRef & { readonly GrantTokens?: readonly string[] };
    response: {
      readonly KeyId: string;
      /** DER SubjectPublicKeyInfo. */
      readonly PublicKey: Uint8Array;
      readonly KeySpec: KeySpec;
      readonly KeyUsage: KeyUsage;
      readonly KeyAgreementAlgorithms: readonly ['ECDH'];
    };
  };
  DeriveSharedSecret: {
    request: KeyRef &
      Attested & {
        readonly KeyAgreementAlgorithm: 'ECDH';
        /** The peer's DER SubjectPublicKeyInfo (P-384, uncompressed point). */
        readonly PublicKey: Uint8Array;
        readonly GrantTokens?: readonly string[];
        readonly DryRun?: boolean;
      };
    response: {
      readonly KeyId: string;
      /** The raw ECDH x coordinate (48 bytes), without a Recipient. */
      readonly SharedSecret?: Uint8Array;
      readonly CiphertextForRecipient?: Uint8Array;
      readonly KeyAgreementAlgorithm: 'ECDH';
      readonly KeyOrigin: 'AWS_KMS';
    };
  };
  ReEncrypt: {
    request: {
      readonly CiphertextBlob: Uint8Array;
      readonly SourceEncryptionContext?: EncryptionContext;
      readonly SourceKeyId?: string;
      readonly DestinationKeyId: string;
      readonly DestinationEncryptionContext?: EncryptionContext;
      readonly SourceEncryptionAlgorithm?: string;
      readonly DestinationEncryptionAlgorithm?: string;
      readonly GrantTokens?: readonly string[];
      readonly DryRun?: boolean;
    };
    response: {
      readonly CiphertextBlob: Uint8Array;
      readonly SourceKeyId: string;
      readonly KeyId: string;
      readonly SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT';
      readonly DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT';
    };
  };
}

export type KmsOperation = keyof KmsOperations;
export type KmsRequest<Op extends KmsOperation> = KmsOperations[Op]['request'];
export type KmsResponse<Op extends KmsOperation> = KmsOperations[Op]['response'];
