// Who is calling: the SigV4 access key id names a principal ARN, as IAM would after checking the signature.
import { EmuError } from '../errors.ts';
import { parsePrincipalArn } from '../kms/index.ts';

export interface AccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The principal the key acts as, e.g. arn:aws:iam::111122223333:role/kms-admin. */
  readonly arn: string;
}

export type AccessKeyTable = ReadonlyMap<string, AccessKey>;

const ACCOUNT = '111122223333';
const ACCESS_KEYS_MAX = 1000;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const SECRET_LENGTH_MAX = 128;

/**
 * The built-in keys: well known, printed at start, for an emulator only. The admin and the parent role are in the
 * KMS's account, so a key created without a policy (account root may do everything) serves both; the outsider is in
 * another account and is refused by every key policy that does not name it.
 */
export const DEFAULT_ACCESS_KEYS: readonly AccessKey[] = Object.freeze([
  { accessKeyId: 'AKIANITROEMUADMIN001', secretAccessKey: 'nitro-emu-admin-secret', arn: `arn:aws:iam::${ACCOUNT}:role/kms-admin` },
  {
    accessKeyId: 'AKIANITROEMUPARENT01',
    secretAccessKey: 'nitro-emu-parent-secret',
    arn: `arn:aws:iam::${ACCOUNT}:role/parent-instance-role`,
  },
  { accessKeyId: 'AKIANITROEMUOUTSIDER', secretAccessKey: 'nitro-emu-outsider-secret', arn: 'arn:aws:iam::444455556666:role/outsider' },
]);

export function accessKeyTable(keys: readonly AccessKey[]): AccessKeyTable {
  if (keys.length === 0 || keys.length > ACCESS_KEYS_MAX) {
    throw new EmuError('KMS_SERVER_ACCESS_KEYS', `between 1 and ${ACCESS_KEYS_MAX} access keys are needed, got ${keys.length}`);
  }
  const table = new Map<string, AccessKey>();
  for (const key of keys) {
    if (!ACCESS_KEY_ID.test(key.accessKeyId)) {
      throw new EmuError('KMS_SERVER_ACCESS_KEYS', `access key id ${JSON.stringify(key.accessKeyId.slice(0, 64))} must be 16–128 of A–Z, 0–9`);
    }
    if (key.secretAccessKey.length === 0 || key.secretAccessKey.length > SECRET_LENGTH_MAX) {
      throw new EmuError('KMS_SERVER_ACCESS_KEYS', `the secret of ${key.accessKeyId} must be 1–${SECRET_LENGTH_MAX} characters`);
    }
    if (parsePrincipalArn(key.arn) === undefined) {
      throw new EmuError('KMS_SERVER_ACCESS_KEYS', `${JSON.stringify(key.arn.slice(0, 256))} is not an IAM or STS principal ARN`);
    }
    if (table.has(key.accessKeyId)) throw new EmuError('KMS_SERVER_ACCESS_KEYS', `access key ${key.accessKeyId} appears twice`);
    table.set(key.accessKeyId, Object.freeze({ ...key }));
  }
  return table;
}

/**
 * `--access-keys FILE`: a JSON object `{ "<access key id>": { "arn": "...", "secretAccessKey": "..." } }`; it
 * replaces the built-in table.
 */
export function parseAccessKeysJson(text: string): AccessKeyTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EmuError('KMS_SERVER_ACCESS_KEYS', 'the access keys file is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EmuError('KMS_SERVER_ACCESS_KEYS', 'the access keys file must be a JSON object keyed by access key id');
  }
  const keys: AccessKey[] = [];
  for (const [accessKeyId, entry] of Object.entries(parsed).slice(0, ACCESS_KEYS_MAX + 1)) {
    const { arn, secretAccessKey, ...rest } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof arn !== 'string' || typeof secretAccessKey !== 'string' || Object.keys(rest).length > 0) {
      throw new EmuError('KMS_SERVER_ACCESS_KEYS', `entry ${JSON.stringify(accessKeyId.slice(0, 64))} must be { "arn": string, "secretAccessKey": string }`);
    }
    keys.push({ accessKeyId, arn, secretAccessKey });
  }
  return accessKeyTable(keys);
}
