// The key-policy mistakes of research/attacks.md §2.7 and §3.2, each as the owner would write it. Every one is
// the approved attested policy with one plausible edit; docs/key-policies.md lints each of them.
import { pcrExtend, toHex, utf8, zeroPcr } from '../../../crypto/index.ts';
import { attestedKeyPolicy } from '../../../world/index.ts';

export interface PolicyParties {
  readonly ownerArn: string;
  readonly parentRoleArn: string;
  readonly accountId: string;
  readonly approvedPcr0: string;
}

type Statement = Record<string, unknown>;

const ZERO_PCR_HEX = '0'.repeat(96);
const IMAGE_KEY = 'kms:RecipientAttestation:ImageSha384';

function policyOf(statements: Statement[]): object {
  return { Version: '2012-10-17', Statement: statements };
}

function ownerAdmin(p: PolicyParties): Statement {
  return { Sid: 'OwnerAdministersTheKey', Effect: 'Allow', Principal: { AWS: p.ownerArn }, Action: 'kms:*', Resource: '*' };
}

function attestedDecrypt(p: PolicyParties, values: string | string[], operator = 'StringEqualsIgnoreCase', key = IMAGE_KEY): Statement {
  return {
    Sid: 'EnclaveMayDecryptOnlyTheApprovedImage',
    Effect: 'Allow',
    Principal: { AWS: p.parentRoleArn },
    Action: 'kms:Decrypt',
    Resource: '*',
    Condition: { [operator]: { [key]: values } },
  };
}

function denyUnattested(p: PolicyParties, actions: string | string[] = 'kms:Decrypt', key = IMAGE_KEY): Statement {
  return {
    Sid: 'NoDecryptWithoutAttestation',
    Effect: 'Deny',
    Principal: { AWS: p.parentRoleArn },
    Action: actions,
    Resource: '*',
    Condition: { Null: { [key]: 'true' } },
  };
}

/** PCR3 as the hypervisor measures it: one extend of a zero register with the parent's role ARN. */
export function roleMeasurement(roleArn: string): string {
  return toHex(pcrExtend(zeroPcr(), utf8(roleArn)));
}

/** The policy the owner should write (DESIGN.md §1 step 1), for contrast in the docs. */
export function approvedPolicy(p: PolicyParties): object {
  return attestedKeyPolicy(p.ownerArn, p.parentRoleArn, p.approvedPcr0);
}

/**
 * KP-01: the console's default statement ("Enable IAM User Permissions": the account root may do `kms:*`) kept
 * beside the attested Allow. The root stands for every principal of the account, the parent's role included.
 */
export function accountRootPolicy(p: PolicyParties): object {
  return policyOf([
    { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${p.accountId}:root` }, Action: 'kms:*', Resource: '*' },
    ownerAdmin(p),
    attestedDecrypt(p, p.approvedPcr0),
  ]);
}

/** KP-02: Decrypt is gated, but the role may also GenerateDataKey and ReEncrypt "for rotation", with no condition. */
export function ungatedOperationsPolicy(p: PolicyParties): object {
  return policyOf([
    ownerAdmin(p),
    attestedDecrypt(p, p.approvedPcr0),
    denyUnattested(p),
    {
      Sid: 'ParentRotatesDataKeys',
      Effect: 'Allow',
      Principal: { AWS: p.parentRoleArn },
      Action: ['kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      Resource: '*',
    },
  ]);
}

/** KP-03: the all-zero PCR0 of debug-mode enclaves left in the list "while we debug". */
export function zeroPcrPolicy(p: PolicyParties): object {
  return policyOf([ownerAdmin(p), attestedDecrypt(p, [p.approvedPcr0, ZERO_PCR_HEX]), denyUnattested(p)]);
}

/** KP-04: only PCR3 (the parent's role) is checked, so any image launched by that role qualifies. */
export function roleOnlyPolicy(p: PolicyParties): object {
  const pcr3Key = 'kms:RecipientAttestation:PCR3';
  return policyOf([
    ownerAdmin(p),
    attestedDecrypt(p, roleMeasurement(p.parentRoleArn), 'StringEqualsIgnoreCase', pcr3Key),
    denyUnattested(p, 'kms:Decrypt', pcr3Key),
  ]);
}

/** KP-05: `…IfExists` on the image condition and no Deny: a request without Recipient has no key to compare. */
export function ifExistsPolicy(p: PolicyParties): object {
  return policyOf([ownerAdmin(p), attestedDecrypt(p, p.approvedPcr0, 'StringEqualsIgnoreCaseIfExists')]);
}

/** KP-05, the other spelling: a typo in the condition key, which no request ever carries (docs only; the linter names it). */
export function misspeltKeyPolicy(p: PolicyParties): object {
  const typo = 'kms:RecipientAttestation:ImageSHA348';
  return policyOf([ownerAdmin(p), attestedDecrypt(p, p.approvedPcr0, 'StringEqualsIgnoreCase', typo)]);
}

/** One tenant of a shared platform key: whose role launches, which image it runs, which model it may open. */
export interface Tenant {
  readonly roleArn: string;
  readonly pcr0: string;
  readonly model: string;
}

function tenantStatement(tenant: Tenant, index: number, bindContext: boolean): Statement {
  const condition: Record<string, Record<string, string>> = { StringEqualsIgnoreCase: { [IMAGE_KEY]: tenant.pcr0 } };
  if (bindContext) condition['StringEquals'] = { 'kms:EncryptionContext:model': tenant.model };
  return { Sid: `Tenant${index}EnclaveOnly`, Effect: 'Allow', Principal: { AWS: tenant.roleArn }, Action: 'kms:Decrypt', Resource: '*', Condition: condition };
}

/**
 * KP-07: the platform's one key for every tenant. Each tenant's role is tied to its image, and with `bindContext`
 * also to its model's encryption context; without it any tenant's enclave can open any tenant's blob, since a
 * blob names only the key.
 */
export function tenantKeyPolicy(p: PolicyParties, tenants: readonly Tenant[], bindContext: boolean): object {
  return policyOf([
    ownerAdmin(p),
    ...tenants.map((tenant, i) => tenantStatement(tenant, i, bindContext)),
    { Sid: 'NoDecryptWithoutAttestation', Effect: 'Deny', Principal: { AWS: tenants.map((t) => t.roleArn) }, Action: 'kms:Decrypt', Resource: '*', Condition: { Null: { [IMAGE_KEY]: 'true' } } },
  ]);
}
