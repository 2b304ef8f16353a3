/**
 * An established secure channel (TLS-like, not TLS; see secure-channel.ts): whole messages in and out, one
 * record each, with an authenticated close so that a cut stream is told apart from a finished one.
 */
import { CONTENT_CLOSE, CONTENT_DATA, type RecordProtector } from './secure-channel-record.ts';
import { fail } from './secure-channel-handshake.ts';
import type { ParsedCertificate } from './x509-parse.ts';

/** Any message-oriented duplex: a framed vsock/network connection, a test pipe. */
export interface MessageTransport {
  send(message: Uint8Array): void;
  receive(): Promise<Uint8Array | null>;
  close(): void;
}

/** An established channel: whole messages in, whole messages out, each one record. */
export class SecureChannel implements MessageTransport {
  readonly #transport: MessageTransport;
  readonly #sealer: RecordProtector;
  readonly #opener: RecordProtector;
  #closedByPeer = false;
  #failed = false;
  /** The server's leaf as the client saw it (client side only). */
  readonly peerCertificate: ParsedCertificate | undefined;

  constructor(transport: MessageTransport, sealer: RecordProtector, opener: RecordProtector, peer?: ParsedCertificate) {
    this.#transport = transport;
    this.#sealer = sealer;
    this.#opener = opener;
    this.peerCertificate = peer;
  }

  send(data: Uint8Array): void {
    if (this.#failed) fail('SCHAN_FAILED', 'the channel failed earlier and carries nothing more');
    this.#transport.send(this.#sealer.seal(CONTENT_DATA, data));
  }

  /** The next message; null after the peer's authenticated close. A bare end of stream is a truncation. */
  async receive(): Promise<Uint8Array | null> {
    if (this.#failed) fail('SCHAN_FAILED', 'the channel failed earlier and carries nothing more');
    if (this.#closedByPeer) return null;
    const record = await this.#transport.receive();
    if (record === null) {
      this.#abort();
      fail('SCHAN_TRUNCATED', 'the stream ended without the peer closing the channel (truncation)');
    }
    let opened;
    try {
      opened = this.#opener.open(record);
    } catch (error) {
      this.#abort();
      throw error;
    }
    if (opened.contentType === CONTENT_CLOSE) {
      this.#closedByPeer = true;
      return null;
    }
    return opened.data.slice();
  }

  /** Sends an authenticated close, then closes the transport. */
  close(): void {
    if (!this.#failed) {
      try {
        this.#transport.send(this.#sealer.seal(CONTENT_CLOSE, new Uint8Array(0)));
      } catch {
        // The transport is already gone: nothing to tell the peer.
      }
    }
    this.#abort();
  }

  #abort(): void {
    this.#failed = true;
    this.#sealer.destroy();
    this.#opener.destroy();
    this.#transport.close();
  }
}
