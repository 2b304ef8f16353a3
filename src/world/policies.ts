/** The model owner's key policy: the heart of attestation-gated key release (DESIGN.md §1 step 1). */
export function attestedKeyPolicy(ownerArn: string, parentRoleArn: string, approvedPcr0: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OwnerAdministersTheKey',
        Effect: 'Allow',
        Principal: { AWS: ownerArn },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'EnclaveMayDecryptOnlyTheApprovedImage',
        Effect: 'Allow',
        Principal: { AWS: parentRoleArn },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEqualsIgnoreCase: { 'kms:RecipientAttestation:ImageSha384': approvedPcr0 } },
      },
      {
        Sid: 'NoDecryptWithoutAttestation',
        Effect: 'Deny',
        Principal: { AWS: parentRoleArn },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { Null: { 'kms:RecipientAttestation:ImageSha384': 'true' } },
      },
    ],
  };
}

/** The negative control: the same key, but the parent's role may Decrypt with no attestation at all. */
export function unattestedKeyPolicy(ownerArn: string, parentRoleArn: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'OwnerAdministersTheKey', Effect: 'Allow', Principal: { AWS: ownerArn }, Action: 'kms:*', Resource: '*' },
      { Sid: 'ParentMayDecrypt', Effect: 'Allow', Principal: { AWS: parentRoleArn }, Action: 'kms:Decrypt', Resource: '*' },
    ],
  };
}
