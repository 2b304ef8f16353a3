import { fromUtf8 } from '../crypto/index.ts';
import type { ParentInstance } from '../hypervisor/index.ts';
import { FramedConnection, HEARTBEAT_PORT, VMADDR_CID_PARENT, type PipeEnd, type VsockBus } from '../ports/index.ts';
import type { KmsEndpoint } from './kms-endpoint.ts';

export const KMS_PROXY_PORT = 8000;
export const STORAGE_PORT = 8001;
export const INFERENCE_PORT = 5000;

/** Which way a relayed message travels through a parent-run relay. */
export type RelayDirection = 'to-kms' | 'to-enclave' | 'to-client';

/**
 * A parent-admin's hold on its own relays: it may drop, rewrite, duplicate or inject messages
 * (return the messages to forward), and replace where the vsock-proxy sends the enclave's KMS traffic.
 * Nothing here reaches inside the enclave or KMS.
 */
export interface RelayControl {
  filter: ((direction: RelayDirection, message: Uint8Array) => Uint8Array[]) | undefined;
  /** Replaces the KMS connection for the next enclave connections (a fake KMS, PA-09). */
  kmsRoute: ((enclaveSide: FramedConnection) => void) | undefined;
}

export function openRelayControl(): RelayControl {
  return { filter: undefined, kmsRoute: undefined };
}

/**
 * Software the customer's admin runs on the parent: the heartbeat echo, a file server for the
 * enclave, the vsock-proxy to KMS, and a relay that forwards clients to the enclave. All of it is
 * parent-admin's: every byte it handles lands in that principal's ledger.
 */
export function startParentServices(options: {
  readonly vsock: VsockBus;
  readonly parent: ParentInstance;
  readonly kms: KmsEndpoint;
  readonly control: RelayControl;
}): void {
  const { vsock, parent, kms, control } = options;

  vsock.listen({ cid: VMADDR_CID_PARENT, port: HEARTBEAT_PORT }, (end) => {
    void end.read().then((chunk) => {
      if (chunk !== null) end.send(chunk);
    });
  });

  vsock.listen({ cid: VMADDR_CID_PARENT, port: STORAGE_PORT }, (end) => void serveFiles(new FramedConnection(end), parent));

  // vsock-proxy: relays frames between the enclave and KMS, signing requests with the parent's role.
  vsock.listen({ cid: VMADDR_CID_PARENT, port: KMS_PROXY_PORT }, (end) => {
    const roleArn = parent.info.roleArn;
    const enclaveSide = new FramedConnection(end);
    if (control.kmsRoute !== undefined) {
      control.kmsRoute(enclaveSide);
      return;
    }
    if (roleArn === null) {
      enclaveSide.close();
      return;
    }
    const kmsSide = kms.connect(parent.info.principal, { arn: roleArn });
    void relay(enclaveSide, kmsSide, control, 'to-kms');
    void relay(kmsSide, enclaveSide, control, 'to-enclave');
  });
}

/** Relays whole messages from `from` to `to` until `from` closes, through the parent's filter if it set one. */
export async function relay(
  from: FramedConnection,
  to: FramedConnection,
  control?: RelayControl,
  direction?: RelayDirection,
): Promise<void> {
  for (;;) {
    const message = await from.receive().catch(() => null);
    if (message === null) {
      to.close();
      return;
    }
    const forwarded = control?.filter !== undefined && direction !== undefined ? control.filter(direction, message) : [message];
    for (const out of forwarded) if (!to.end.closed) to.send(out);
  }
}

async function serveFiles(connection: FramedConnection, parent: ParentInstance): Promise<void> {
  for (;;) {
    const request = await connection.receive().catch(() => null);
    if (request === null) return;
    let path: unknown;
    try {
      path = (JSON.parse(fromUtf8(request)) as { path?: unknown }).path;
    } catch {
      path = undefined;
    }
    if (typeof path !== 'string' || !parent.disk.list().includes(path)) {
      connection.send(Uint8Array.of(1));
      continue;
    }
    const data = parent.disk.read(path);
    const reply = new Uint8Array(1 + data.length);
    reply.set(data, 1);
    connection.send(reply);
  }
}

/** The parent's public front door: each client connection is relayed to the enclave's inference port. */
export async function relayClientToEnclave(
  vsock: VsockBus,
  enclaveCid: number,
  clientSide: PipeEnd,
  control?: RelayControl,
): Promise<void> {
  const enclaveSide = new FramedConnection(await vsock.connect(VMADDR_CID_PARENT, { cid: enclaveCid, port: INFERENCE_PORT }));
  const client = new FramedConnection(clientSide);
  void relay(client, enclaveSide, control, 'to-enclave');
  void relay(enclaveSide, client, control, 'to-client');
}
