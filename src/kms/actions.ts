/** Every action in the real KMS API (lower case), so a policy naming a misspelt action is refused, not ignored. */
export const KMS_ACTIONS: ReadonlySet<string> = new Set(
  [
    'CancelKeyDeletion', 'ConnectCustomKeyStore', 'CreateAlias', 'CreateCustomKeyStore', 'CreateGrant', 'CreateKey',
    'Decrypt', 'DeleteAlias', 'DeleteCustomKeyStore', 'DeleteImportedKeyMaterial', 'DeriveSharedSecret',
    'DescribeCustomKeyStores', 'DescribeKey', 'DisableKey', 'DisableKeyRotation', 'DisconnectCustomKeyStore',
    'EnableKey', 'EnableKeyRotation', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyPair',
    'GenerateDataKeyPairWithoutPlaintext', 'GenerateDataKeyWithoutPlaintext', 'GenerateMac', 'GenerateRandom',
    'GetKeyPolicy', 'GetKeyRotationStatus', 'GetParametersForImport', 'GetPublicKey', 'ImportKeyMaterial',
    'ListAliases', 'ListGrants', 'ListKeyPolicies', 'ListKeyRotations', 'ListKeys', 'ListResourceTags',
    'ListRetirableGrants', 'PutKeyPolicy', 'ReEncryptFrom', 'ReEncryptTo', 'ReplicateKey', 'RetireGrant',
    'RevokeGrant', 'RotateKeyOnDemand', 'ScheduleKeyDeletion', 'Sign', 'SynchronizeMultiRegionKey', 'TagResource',
    'UntagResource', 'UpdateAlias', 'UpdateCustomKeyStore', 'UpdateKeyDescription', 'UpdatePrimaryRegion', 'Verify',
    'VerifyMac',
  ].map((name) => `kms:${name.toLowerCase()}`),
);
