// Input checks shared by the baselines' `post`: bad input becomes a typed error completion (the contract's
// onComplete fires exactly once), delivered asynchronously like any other completion, never a throw.
import type { Fabric, HostId, Transport } from '../contracts.ts';
import { MESSAGE_BYTES_MAX, MESSAGES_PENDING_MAX } from './stream.ts';

export type PostedMessage = Parameters<Transport['post']>[0];

/** Returns the error code for a message the transport must refuse, or null when it is acceptable. */
export function refusalOf(fabric: Fabric, host: HostId, message: PostedMessage, pendingOnConnection: number): string | null {
  const { dst, bytes, payload } = message;
  if (!Number.isSafeInteger(dst) || dst < 0 || dst >= fabric.hostCount || dst === host) return 'BAD_ADDRESS';
  if (!Number.isSafeInteger(bytes) || bytes < 0) return 'BAD_LENGTH';
  if (bytes > MESSAGE_BYTES_MAX) return 'MSG_TOO_LARGE';
  if (payload !== undefined && payload.length !== bytes) return 'BAD_PAYLOAD';
  if (pendingOnConnection >= MESSAGES_PENDING_MAX) return 'EAGAIN';
  return null;
}

export function completeWithError(fabric: Fabric, message: PostedMessage, code: string): void {
  const postedPs = fabric.now;
  fabric.schedule(postedPs, () => message.onComplete({ id: message.id, ok: false, code, postedPs, completedPs: fabric.now }));
}
