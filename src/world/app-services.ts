import { fromBase64, fromUtf8 } from '../crypto/index.ts';
import type { ParentInstance } from '../hypervisor/index.ts';
import { FramedConnection, VMADDR_CID_PARENT, type VsockBus } from '../ports/index.ts';

/** Where the default app sends its log lines: real apps ship logs to the parent (CloudWatch agent etc.). */
export const APP_LOG_PORT = 8002;
/** The parent's store for the app's sealed state. */
export const APP_STATE_PORT = 8003;
export const APP_PATHS = {
  sealedState: 'enclave-state/sealed.bin',
  /** Parent-supplied seed an app without NSM entropy uses (appEntropyFromNsm off, PA-15). */
  entropy: 'config/entropy.bin',
  /** A plaintext model the app loads when it does not authenticate its inputs (appAuthenticatesInputs off). */
  plainWeights: 'model/weights.plain',
} as const;
const LOG_LINES_MAX = 100_000;

/**
 * Parent-side services the default app uses beyond the file server: the log collector and the sealed-state
 * store. Both are the parent-admin's software: every byte they receive is in that principal's ledger (the
 * vsock delivery observer files it), and the store keeps whatever blob the parent chooses to hand back.
 */
export function startAppServices(options: { readonly vsock: VsockBus; readonly parent: ParentInstance }): { readonly logLines: string[] } {
  const { vsock, parent } = options;
  const logLines: string[] = [];
  vsock.listen({ cid: VMADDR_CID_PARENT, port: APP_LOG_PORT }, (end) => {
    const connection = new FramedConnection(end);
    void (async () => {
      for (let i = 0; i < LOG_LINES_MAX; i++) {
        const line = await connection.receive().catch(() => null);
        if (line === null) return;
        if (logLines.length < LOG_LINES_MAX) logLines.push(fromUtf8(line));
      }
    })();
  });
  vsock.listen({ cid: VMADDR_CID_PARENT, port: APP_STATE_PORT }, (end) => void serveState(new FramedConnection(end), parent));
  return { logLines };
}

async function serveState(connection: FramedConnection, parent: ParentInstance): Promise<void> {
  for (;;) {
    const request = await connection.receive().catch(() => null);
    if (request === null) return;
    let message: { op?: unknown; data?: unknown };
    try {
      message = JSON.parse(fromUtf8(request)) as typeof message;
    } catch {
      message = {};
    }
    if (message.op === 'get' && parent.disk.list().includes(APP_PATHS.sealedState)) {
      const data = parent.disk.read(APP_PATHS.sealedState);
      const reply = new Uint8Array(1 + data.length);
      reply.set(data, 1);
      connection.send(reply);
    } else if (message.op === 'put' && typeof message.data === 'string') {
      try {
        parent.disk.write(APP_PATHS.sealedState, fromBase64(message.data));
        connection.send(Uint8Array.of(0));
      } catch {
        connection.send(Uint8Array.of(1));
      }
    } else connection.send(Uint8Array.of(1));
  }
}
