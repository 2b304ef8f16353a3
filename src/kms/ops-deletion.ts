import type { OperationContext } from './context.ts';
import { KmsError, pendingDeletion, validationError } from './errors.ts';
import { resolveKey } from './ops-admin.ts';
import type { KmsResponse } from './types.ts';
import { optionalInt, type Fields } from './validate.ts';

const DAY_MS = 86_400_000;
/** Real KMS's bounds on the waiting period. */
const PENDING_WINDOW_DAYS_MIN = 7;
const PENDING_WINDOW_DAYS_MAX = 30;

export function scheduleKeyDeletion(ctx: OperationContext, fields: Fields): KmsResponse<'ScheduleKeyDeletion'> {
  const raw = fields['PendingWindowInDays'];
  if (typeof raw === 'number' && (raw < PENDING_WINDOW_DAYS_MIN || raw > PENDING_WINDOW_DAYS_MAX)) {
    throw validationError(
      'PendingWindowInDays',
      `Member must have value between ${PENDING_WINDOW_DAYS_MIN} and ${PENDING_WINDOW_DAYS_MAX}`,
    );
  }
  const days = optionalInt(fields, 'PendingWindowInDays', PENDING_WINDOW_DAYS_MIN, PENDING_WINDOW_DAYS_MAX) ?? PENDING_WINDOW_DAYS_MAX;
  const key = resolveKey(ctx, fields, 'kms:ScheduleKeyDeletion');
  if (key.deletionMs !== null) throw pendingDeletion(key.arn);
  const deletionMs = ctx.sim.nowMs + days * DAY_MS;
  ctx.keys.setDeletion(key.id, deletionMs);
  return { KeyId: key.arn, DeletionDate: deletionMs / 1000, KeyState: 'PendingDeletion', PendingWindowInDays: days };
}

export function cancelKeyDeletion(ctx: OperationContext, fields: Fields): KmsResponse<'CancelKeyDeletion'> {
  const key = resolveKey(ctx, fields, 'kms:CancelKeyDeletion');
  if (key.deletionMs === null) {
    throw new KmsError('KMS_INVALID_STATE', 'KMSInvalidStateException', `${key.arn} is not pending deletion.`);
  }
  ctx.keys.setDeletion(key.id, null);
  return { KeyId: key.arn };
}
