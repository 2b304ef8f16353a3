import type { KmsCaller, KmsService } from '../kms/index.ts';
import { FramedConnection, createPipe, decodeJsonMessage, encodeJsonMessage, type DeliveryObserver } from '../ports/index.ts';
import { isSecureChannelHello, secureChannelAccept, type MessageTransport, type SecureChannel } from '../crypto/index.ts';
import type { Simulator } from '../sim/index.ts';
import type { KmsTlsIdentity } from './kms-identity.ts';

/** One-way latency between an instance and the regional KMS endpoint, and KMS's own service time. */
export const KMS_NETWORK_LATENCY_NS = 250_000;
export const KMS_SERVICE_TIME_NS = 1_500_000;

/**
 * KMS as the network reaches it: a caller opens a connection authenticated as an IAM principal
 * (standing in for SigV4) and exchanges AWS JSON 1.1 requests and responses over it.
 */
export class KmsEndpoint {
  readonly #sim: Simulator;
  readonly #kms: KmsService;
  readonly #observe: DeliveryObserver | undefined;
  /**
   * A fault plan's KMS outage (src/world/faults.ts): at a given virtual time the endpoint refuses
   * connections (they close at once) or drops its replies (the request is still processed).
   */
  outage: ((nowNs: number) => 'refuse' | 'drop' | undefined) | undefined = undefined;

  readonly #identity: KmsTlsIdentity | undefined;

  /** With `identity`, a connection that opens with a secure-channel ClientHello is served inside that channel. */
  constructor(sim: Simulator, kms: KmsService, observe?: DeliveryObserver, identity?: KmsTlsIdentity) {
    this.#sim = sim;
    this.#kms = kms;
    this.#observe = observe;
    this.#identity = identity;
  }

  /**
   * Server side of the TLS-like channel (src/crypto/secure-channel.ts, not TLS): whoever relays the bytes
   * (the parent's vsock-proxy) sees records only. A failed handshake closes the connection.
   */
  async #acceptSecure(transport: MessageTransport, clientHello: Uint8Array): Promise<SecureChannel | null> {
    const identity = this.#identity!;
    try {
      return await secureChannelAccept(transport, {
        random: this.#sim.prng('kms.secure-channel'),
        chainDer: identity.chainDer,
        privateKey: identity.privateKey,
        clientHello,
      });
    } catch (error) {
      this.#sim.record('kms.secure-channel-refused', { code: (error as { code?: string }).code ?? 'UNKNOWN' });
      return null;
    }
  }

  connect(clientOwner: string, caller: KmsCaller): FramedConnection {
    const [client, server] = createPipe({
      sim: this.#sim,
      channel: `kms-endpoint ${caller.arn}`,
      latencyNs: KMS_NETWORK_LATENCY_NS,
      owners: [clientOwner, 'kms'],
      ...(this.#observe ? { observe: this.#observe } : {}),
    });
    if (this.outage?.(this.#sim.nowNs) === 'refuse') {
      this.#sim.record('kms.outage', { mode: 'refuse' });
      server.close();
    } else void this.#serve(new FramedConnection(server), caller);
    return new FramedConnection(client);
  }

  async #serve(connection: FramedConnection, caller: KmsCaller): Promise<void> {
    let transport: MessageTransport = {
      send: (m) => connection.send(m),
      receive: () => connection.receive().catch(() => null),
      close: () => connection.close(),
    };
    for (let first = true; ; first = false) {
      const frame = await transport.receive().catch(() => null);
      if (frame === null) return;
      if (first && this.#identity !== undefined && isSecureChannelHello(frame)) {
        const channel = await this.#acceptSecure(transport, frame);
        if (channel === null) return;
        transport = channel;
        continue;
      }
      let reply;
      try {
        const request = decodeJsonMessage(frame, 'request');
        await this.#sim.sleep(KMS_SERVICE_TIME_NS, 'kms service time');
        reply = this.#kms.handleJson(request.target, request.body, caller);
      } catch {
        reply = { status: 400, body: JSON.stringify({ __type: 'SerializationException', message: 'malformed request frame' }) };
      }
      if (this.outage?.(this.#sim.nowNs) === 'drop') {
        this.#sim.record('kms.outage', { mode: 'drop' });
        continue;
      }
      if (connection.end.closed) return;
      transport.send(encodeJsonMessage(reply));
    }
  }

  /** One request/response on a fresh connection (what an SDK call amounts to). */
  async call(clientOwner: string, caller: KmsCaller, target: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const connection = this.connect(clientOwner, caller);
    connection.send(encodeJsonMessage({ target: `TrentService.${target}`, body: JSON.stringify(body) }));
    const frame = await connection.receive();
    connection.close();
    if (frame === null) return { status: 599, body: { __type: 'ConnectionClosed' } };
    const reply = decodeJsonMessage(frame, 'response');
    return { status: reply.status, body: JSON.parse(reply.body) as Record<string, unknown> };
  }
}
