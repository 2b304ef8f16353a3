import {
  aes256GcmOpen,
  aes256GcmSeal,
  concatBytes,
  equalBytes,
  fromBase64,
  fromUtf8,
  hkdfSha384,
  p384KeyPair,
  p384SharedSecret,
  parseAttestationDocument,
  toBase64,
  toHex,
  utf8,
  type AttestationVerifier,
  type RandomSource,
} from '../crypto/index.ts';
import { EmuError } from '../errors.ts';
import type { FramedConnection } from '../ports/index.ts';

export interface ClientOptions {
  readonly verifier: AttestationVerifier;
  readonly random: RandomSource;
  readonly nowMs: () => number;
  /** The image the client is willing to talk to. */
  readonly expectedPcr0: string;
  readonly maxDocumentAgeMs: number;
  /**
   * The clientVerifiesAttestation switch (default true). False is a negative control (PA-12, PA-13): the client
   * checks neither signature, root, PCR0 nor nonce, and encrypts its prompt to whatever key the answer names.
   */
  readonly verifiesAttestation?: boolean;
}

export interface InferenceResult {
  readonly output: Uint8Array;
  readonly enclaveModuleId: string;
  readonly documentTimestampMs: number;
}

function iv(direction: number): Uint8Array {
  const bytes = new Uint8Array(12);
  bytes[0] = direction;
  return bytes;
}

/**
 * The inference user: it attests the enclave (root, PCR0, its own fresh nonce) before it sends a
 * byte of its prompt, and the prompt travels under a key only that attested enclave can derive.
 */
export class InferenceClient {
  readonly #options: ClientOptions;

  constructor(options: ClientOptions) {
    this.#options = options;
  }

  async infer(connection: FramedConnection, prompt: Uint8Array): Promise<InferenceResult> {
    const { random, verifier, nowMs } = this.#options;
    const nonce = random.bytes(32);
    connection.send(utf8(JSON.stringify({ type: 'hello', nonce: toBase64(nonce) })));
    const attestation = await this.#receive(connection, 'attestation');
    const documentBytes = fromBase64(String(attestation['document']));
    const verifies = this.#options.verifiesAttestation ?? true;
    const { doc } = verifies
      ? verifier.verify(documentBytes, { atMs: nowMs(), maxAgeMs: this.#options.maxDocumentAgeMs })
      : parseAttestationDocument(documentBytes);
    if (verifies) {
      const pcr0 = doc.pcrs.get(0);
      if (pcr0 === undefined || toHex(pcr0) !== this.#options.expectedPcr0.toLowerCase()) {
        throw new EmuError('CLIENT_UNEXPECTED_IMAGE', `the enclave runs image ${pcr0 ? toHex(pcr0).slice(0, 16) : '?'}…, not the approved one`);
      }
      if (doc.nonce === null || !equalBytes(doc.nonce, nonce)) {
        throw new EmuError('CLIENT_STALE_ATTESTATION', 'the attestation document does not carry this session’s nonce');
      }
    }
    if (doc.publicKey === null) throw new EmuError('CLIENT_NO_SESSION_KEY', 'the attestation document carries no public key');
    const mine = p384KeyPair(random);
    const shared = p384SharedSecret(mine.privateKey, doc.publicKey);
    const info = concatBytes(utf8('nitro-emu client session v1'), mine.publicKey, doc.publicKey);
    const key = hkdfSha384(shared, nonce, info, 32);
    connection.send(
      utf8(
        JSON.stringify({
          type: 'prompt',
          clientPublicKey: toBase64(mine.publicKey),
          ciphertext: toBase64(aes256GcmSeal(key, iv(1), prompt, utf8('prompt'))),
        }),
      ),
    );
    const reply = await this.#receive(connection, 'output');
    const output = aes256GcmOpen(key, iv(2), fromBase64(String(reply['ciphertext'])), utf8('output'));
    return { output, enclaveModuleId: doc.moduleId, documentTimestampMs: doc.timestamp };
  }

  async #receive(connection: FramedConnection, type: string): Promise<Record<string, unknown>> {
    const frame = await connection.receive();
    if (frame === null) throw new EmuError('CLIENT_CONNECTION_CLOSED', `the connection closed before ${type}`);
    const message = JSON.parse(fromUtf8(frame)) as Record<string, unknown>;
    if (message['type'] === 'error') throw new EmuError('CLIENT_ENCLAVE_ERROR', `the enclave answered ${String(message['code'])}`);
    if (message['type'] !== type) throw new EmuError('CLIENT_PROTOCOL', `expected ${type}, got ${String(message['type'])}`);
    return message;
  }
}
