import type { Socket } from 'node:net';
import { encodeCbor, fromUtf8 } from '../crypto/index.ts';
import { NSM_REQUEST_BYTES_MAX } from '../enclave/index.ts';
import { isEmuError } from '../errors.ts';
import { sendFrame, serveFramesInOrder } from './frame-queue.ts';
import type { ServedHost } from './served-host.ts';

/**
 * The first frame is this long at most (an enclave id or name); after it, frames are NSM requests, which the
 * device refuses above 4096 bytes with InputTooLarge. A frame above this bound loses the framing: error, close.
 */
export const NSM_CHANNEL_FRAME_BYTES_MAX = 2 * NSM_REQUEST_BYTES_MAX;

function nsmError(name: string): Uint8Array {
  return encodeCbor(new Map([['Error', name]]));
}

/**
 * One client of the NSM socket (docs/host-server.md): it names an enclave in its first frame, gets
 * `{"Selected": {"enclave_id", "module_id"}}` back, and from then on every frame is one `/dev/nsm` ioctl:
 * raw NSM CBOR request in, the device's raw CBOR response out. Requests are served in order.
 */
export function serveNsmConnection(socket: Socket, host: ServedHost, log: (line: string) => void): void {
  let enclaveId: string | undefined;
  let closed = false;

  const send = (payload: Uint8Array) => sendFrame(socket, payload);
  const fail = (name: string) => {
    send(nsmError(name));
    closed = true;
    socket.end();
  };

  serveFramesInOrder(socket, { frameBytesMax: NSM_CHANNEL_FRAME_BYTES_MAX, name: 'NSM', handle, framingLost: () => fail('InputTooLarge'), log });
  socket.on('error', () => undefined);

  async function handle(frame: Uint8Array): Promise<void> {
    if (closed) return;
    try {
      if (enclaveId === undefined) {
        let wanted: string;
        try {
          wanted = fromUtf8(frame);
        } catch {
          fail('InvalidArgument');
          return;
        }
        const selected = await host.resolveEnclave(wanted);
        enclaveId = selected.enclaveId;
        send(encodeCbor(new Map([['Selected', new Map([['enclave_id', selected.enclaveId], ['module_id', selected.moduleId]])]])));
        return;
      }
      send(await host.nsmRequest(enclaveId, frame));
    } catch (error) {
      // The enclave is unknown or gone (terminated since): this channel has no device behind it any more.
      if (isEmuError(error)) fail('InvalidArgument');
      else {
        log(`host-server: internal error on the NSM channel: ${(error as Error)?.stack ?? String(error)}`);
        fail('InternalError');
      }
    }
  }
}
