import { KmsError } from './errors.ts';

/** Who is calling, as the policy engine needs it. */
export interface CallerIdentity {
  /** The ARN as presented (an assumed-role session ARN stays a session ARN). */
  readonly arn: string;
  readonly account: string;
  /** `aws:PrincipalArn`: for an assumed-role session this is the role's ARN, as in IAM. */
  readonly principalArn: string;
}

const ARN_LENGTH_MAX = 2048;
const ACCOUNT = /^\d{12}$/;
// Resource part of an IAM/STS principal: root, role/[path/]name, user/[path/]name, assumed-role/role/session.
const IAM_RESOURCE = /^(root|(role|user)\/[\w+=,.@/-]{1,512})$/;
const STS_RESOURCE = /^assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{1,64})$/;

/** Parses an `arn:aws:iam::…` or `arn:aws:sts::…:assumed-role/…` ARN; undefined if it is neither. */
export function parsePrincipalArn(arn: string): CallerIdentity | undefined {
  if (arn.length > ARN_LENGTH_MAX) return undefined;
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[1] !== 'aws' || parts[3] !== '') return undefined;
  const [, , service, , account, resource] = parts as [string, string, string, string, string, string];
  if (!ACCOUNT.test(account)) return undefined;
  if (service === 'iam' && IAM_RESOURCE.test(resource)) return { arn, account, principalArn: arn };
  if (service === 'sts') {
    const match = STS_RESOURCE.exec(resource);
    if (match === null) return undefined;
    return { arn, account, principalArn: `arn:aws:iam::${account}:role/${match[1]!}` };
  }
  return undefined;
}

/** The caller of a KMS request; a caller we cannot name is refused before anything else happens. */
export function callerIdentity(arn: unknown): CallerIdentity {
  const identity = typeof arn === 'string' ? parsePrincipalArn(arn) : undefined;
  if (identity === undefined) {
    throw new KmsError(
      'KMS_BAD_CALLER',
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
      { arn: typeof arn === 'string' ? arn.slice(0, 256) : typeof arn },
    );
  }
  return identity;
}

export function accountRootArn(account: string): string {
  return `arn:aws:iam::${account}:root`;
}
