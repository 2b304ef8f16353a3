/**
 * The nitro-emu secure channel: a TLS-like protocol, NOT TLS. It exists because node:tls draws randomness we
 * cannot seed and drives its own I/O, while every run here must replay byte for byte. It keeps the properties
 * the enclave→KMS path needs from TLS 1.3 (RFC 8446), in a much smaller shape:
 *
 *   ClientHello  "NESC" 01 ‖ offered versions ‖ offered suites ‖ random(32) ‖ ephemeral P-384 point(97)
 *   ServerHello  "NESC" 02 ‖ version ‖ suite ‖ random(32) ‖ ephemeral point(97) ‖ certificate chain (leaf first)
 *                ‖ ECDSA-P384 signature by the leaf over (context ‖ SHA-384(ClientHello ‖ ServerHello so far))
 *                ‖ server Finished = HMAC-SHA384(server finished key, SHA-384(transcript up to the signature))
 *   Finished     "NESC" 03 ‖ HMAC-SHA384(client finished key, SHA-384(ClientHello ‖ ServerHello))
 *
 * Keys: HKDF-SHA384(ECDH secret, salt = SHA-384(ClientHello ‖ ServerHello up to the signature)) gives each
 * direction its own AES-256-GCM key and IV plus both finished keys; records are secure-channel-record.ts.
 * The offered versions and suites are in the signed transcript, so stripping them (a downgrade) breaks the
 * server's signature as the client computes it. The client pins a root (the emulated web PKI root) and a
 * server name; with no pinned root it accepts any chain whose leaf signed the transcript (the insecure mode
 * a negative control uses). Not provided: resumption, 0-RTT, client certificates, key update, alerts beyond close.
 */
import { createECDH, createHmac, timingSafeEqual } from 'node:crypto';
import { EmuError } from '../errors.ts';
import { hkdfSha384 } from './aead.ts';
import { type RandomSource, concatBytes, equalBytes, utf8, wipe } from './bytes.ts';
import { P384_POINT_LENGTH, P384_SIGNATURE_LENGTH, p384KeyPair, p384Sign, p384Verify } from './ecdsa.ts';
import { sha384 } from './hash.ts';
import { verifyCertificateChain } from './x509-chain.ts';
import { type ParsedCertificate, parseCertificate } from './x509-parse.ts';
import { CONTENT_CLOSE, CONTENT_DATA, RecordProtector } from './secure-channel-record.ts';

export const SCHAN_VERSION_1 = 0x0001;
/** ECDHE-P384, ECDSA-P384 certificates, AES-256-GCM records, HKDF-SHA384. */
export const SCHAN_SUITE_P384_AES256GCM_SHA384 = 0x0001;
const SUPPORTED_VERSIONS = [SCHAN_VERSION_1] as const;
const SUPPORTED_SUITES = [SCHAN_SUITE_P384_AES256GCM_SHA384] as const;
const MAGIC = utf8('NESC');
const CLIENT_HELLO = 0x01;
export const SERVER_HELLO = 0x02;
const FINISHED = 0x03;
const RANDOM_BYTES = 32;
const MAC_BYTES = 48;
const CHAIN_CERTS_MAX = 8;
const LIST_ITEMS_MAX = 16;
const SIGNATURE_CONTEXT = utf8('nitro-emu secure channel v1 (TLS-like, not TLS): server signature\0');

/** Any message-oriented duplex: a framed vsock/network connection, a test pipe. */
export interface MessageTransport {
  send(message: Uint8Array): void;
  receive(): Promise<Uint8Array | null>;
  close(): void;
}

export interface SecureClientOptions {
  readonly random: RandomSource;
  /** The root the server's chain must end in; null disables pinning (any chain is accepted). */
  readonly pinnedRootDer: Uint8Array | null;
  /** The CN the server's leaf must carry, or a pattern for it (checked only when pinned). */
  readonly serverName: string | RegExp;
  /** When to check validity (the enclave uses its NSM's signed time). */
  readonly atMs: number;
  /** For tests of downgrade protection: what the client offers (default: all supported). */
  readonly offeredVersions?: readonly number[];
}

export interface SecureServerOptions {
  readonly random: RandomSource;
  /** Leaf first; the root may be left out. */
  readonly chainDer: readonly Uint8Array[];
  readonly privateKey: Uint8Array;
  /** A ClientHello already read off the transport (a server that sniffed the first frame). */
  readonly clientHello?: Uint8Array;
}

function fail(code: string, message: string): never {
  throw new EmuError(code, message);
}

/**
 * P-384 ECDH, the x-coordinate (same result as p384SharedSecret), through OpenSSL: a handshake does two, and
 * noble's takes ~8 ms each where OpenSSL's takes well under one. OpenSSL refuses points not on the curve.
 */
export function ecdhP384(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  const ecdh = createECDH('secp384r1');
  try {
    ecdh.setPrivateKey(privateKey);
    return new Uint8Array(ecdh.computeSecret(peerPublicKey));
  } catch {
    throw new EmuError('ECDH_BAD_PUBLIC_KEY', 'the peer key share is not a valid P-384 point');
  }
}

function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha384', key).update(data).digest());
}

function u16(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}

/** True when a frame opens a secure-channel handshake (a server may sniff it and switch modes). */
export function isSecureChannelHello(frame: Uint8Array): boolean {
  return frame.length > 5 && equalBytes(frame.subarray(0, 4), MAGIC) && frame[4] === CLIENT_HELLO;
}

export class Reader {
  #offset: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly what: string,
    start: number,
  ) {
    this.#offset = start;
  }
  take(length: number): Uint8Array {
    if (this.#offset + length > this.bytes.length) fail('SCHAN_BAD_HANDSHAKE', `${this.what} is truncated`);
    const out = this.bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    const b = this.take(2);
    return (b[0]! << 8) | b[1]!;
  }
  get offset(): number {
    return this.#offset;
  }
  end(): void {
    if (this.#offset !== this.bytes.length) fail('SCHAN_BAD_HANDSHAKE', `${this.what} has trailing bytes`);
  }
}

export function openHandshake(message: Uint8Array | null, type: number, what: string): Reader {
  if (message === null) fail('SCHAN_HANDSHAKE_CLOSED', `the peer closed before its ${what}`);
  if (message.length < 5 || !equalBytes(message.subarray(0, 4), MAGIC) || message[4] !== type) {
    fail('SCHAN_BAD_HANDSHAKE', `expected a ${what}`);
  }
  return new Reader(message, what, 5);
}

function list(reader: Reader): number[] {
  const count = reader.u8();
  if (count === 0 || count > LIST_ITEMS_MAX) fail('SCHAN_BAD_HANDSHAKE', `${reader.what} offers ${count} items`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(reader.u16());
  return out;
}

export interface Schedule {
  readonly clientWrite: { key: Uint8Array; iv: Uint8Array };
  readonly serverWrite: { key: Uint8Array; iv: Uint8Array };
  readonly serverFinishedKey: Uint8Array;
  readonly clientFinishedKey: Uint8Array;
}

/** @internal for secure-channel-keylog.ts */
export function keySchedule(shared: Uint8Array, transcriptHash: Uint8Array, version: number, suite: number): Schedule {
  const info = concatBytes(utf8('nitro-emu secure channel v1 keys'), u16(version), u16(suite));
  const okm = hkdfSha384(shared, transcriptHash, info, 32 + 12 + 32 + 12 + MAC_BYTES + MAC_BYTES);
  let at = 0;
  const next = (n: number) => okm.slice(at, (at += n));
  const schedule = {
    clientWrite: { key: next(32), iv: next(12) },
    serverWrite: { key: next(32), iv: next(12) },
    serverFinishedKey: next(MAC_BYTES),
    clientFinishedKey: next(MAC_BYTES),
  };
  wipe(okm);
  return schedule;
}

function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
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

function clientHello(random: Uint8Array, keyShare: Uint8Array, versions: readonly number[]): Uint8Array {
  const suites = SUPPORTED_SUITES;
  return concatBytes(
    MAGIC,
    Uint8Array.of(CLIENT_HELLO, versions.length),
    ...versions.map(u16),
    Uint8Array.of(suites.length),
    ...suites.map(u16),
    random,
    keyShare,
  );
}

function serverNameOf(cert: ParsedCertificate): string | undefined {
  const cn = cert.subject.split(/,\s*/).find((part) => part.startsWith('CN='));
  return cn?.slice(3);
}

/** The client side: handshake over `transport`, then records. Errors are EmuErrors with SCHAN_* or CHAIN_* codes. */
export async function secureChannelConnect(transport: MessageTransport, options: SecureClientOptions): Promise<SecureChannel> {
  try {
    return await connect(transport, options);
  } catch (error) {
    transport.close();
    throw error;
  }
}

async function connect(transport: MessageTransport, options: SecureClientOptions): Promise<SecureChannel> {
  const versions = options.offeredVersions ?? SUPPORTED_VERSIONS;
  const ephemeral = p384KeyPair(options.random);
  const hello = clientHello(options.random.bytes(RANDOM_BYTES), ephemeral.publicKey, versions);
  transport.send(hello);

  const serverHello = await transport.receive();
  const reader = openHandshake(serverHello, SERVER_HELLO, 'ServerHello');
  const version = reader.u16();
  const suite = reader.u16();
  if (!versions.includes(version)) fail('SCHAN_VERSION', `the server chose version ${version}, which was not offered`);
  if (!(SUPPORTED_SUITES as readonly number[]).includes(suite)) fail('SCHAN_VERSION', `the server chose suite ${suite}, not offered`);
  reader.take(RANDOM_BYTES);
  const serverShare = reader.take(P384_POINT_LENGTH);
  const certCount = reader.u8();
  if (certCount === 0 || certCount > CHAIN_CERTS_MAX) fail('SCHAN_BAD_HANDSHAKE', `ServerHello carries ${certCount} certificates`);
  const chain: ParsedCertificate[] = [];
  for (let i = 0; i < certCount; i++) chain.push(parseCertificate(reader.take(reader.u16())));
  const signedUpTo = reader.offset;
  const signature = reader.take(P384_SIGNATURE_LENGTH);
  const serverFinished = reader.take(MAC_BYTES);
  reader.end();
  const sh = serverHello!;

  const leaf = chain[0]!;
  if (options.pinnedRootDer !== null) {
    verifyCertificateChain(chain, parseCertificate(options.pinnedRootDer), options.atMs);
    const name = serverNameOf(leaf) ?? '';
    const wanted = options.serverName;
    if (typeof wanted === 'string' ? name !== wanted : !wanted.test(name)) {
      fail('SCHAN_SERVER_NAME', `the certificate is for ${JSON.stringify(name)}, not ${String(wanted)}`);
    }
  }
  if (leaf.p384PublicKey === undefined) fail('SCHAN_CERTIFICATE', 'the server leaf has no P-384 key');
  const transcriptHash = sha384(concatBytes(hello, sh.subarray(0, signedUpTo)));
  if (!p384Verify(signature, concatBytes(SIGNATURE_CONTEXT, transcriptHash), leaf.p384PublicKey)) {
    fail('SCHAN_SIGNATURE', 'the server did not sign this handshake with its certificate key');
  }
  const shared = ecdhP384(ephemeral.privateKey, serverShare);
  wipe(ephemeral.privateKey);
  const keys = keySchedule(shared, transcriptHash, version, suite);
  wipe(shared);
  const expectedServerFinished = hmac(keys.serverFinishedKey, sha384(concatBytes(hello, sh.subarray(0, signedUpTo + P384_SIGNATURE_LENGTH))));
  if (!macEqual(expectedServerFinished, serverFinished)) fail('SCHAN_FINISHED', 'the server Finished does not match the transcript');
  transport.send(concatBytes(MAGIC, Uint8Array.of(FINISHED), hmac(keys.clientFinishedKey, sha384(concatBytes(hello, sh)))));
  wipe(keys.serverFinishedKey);
  wipe(keys.clientFinishedKey);
  return new SecureChannel(transport, new RecordProtector(keys.clientWrite, version), new RecordProtector(keys.serverWrite, version), leaf);
}

/** The server side. The server picks the highest version both support. */
export async function secureChannelAccept(transport: MessageTransport, options: SecureServerOptions): Promise<SecureChannel> {
  try {
    return await accept(transport, options);
  } catch (error) {
    transport.close();
    throw error;
  }
}

async function accept(transport: MessageTransport, options: SecureServerOptions): Promise<SecureChannel> {
  if (options.chainDer.length === 0 || options.chainDer.length > CHAIN_CERTS_MAX) {
    fail('SCHAN_CERTIFICATE', `a server needs 1..${CHAIN_CERTS_MAX} certificates`);
  }
  const hello = options.clientHello ?? (await transport.receive());
  const reader = openHandshake(hello, CLIENT_HELLO, 'ClientHello');
  const versions = list(reader);
  const suites = list(reader);
  reader.take(RANDOM_BYTES);
  const clientShare = reader.take(P384_POINT_LENGTH);
  reader.end();
  const ch = hello!;
  const version = Math.max(...SUPPORTED_VERSIONS.filter((v) => versions.includes(v)));
  if (!Number.isFinite(version)) fail('SCHAN_VERSION', `no common version in ${versions.join(',')}`);
  const suite = SUPPORTED_SUITES.find((s) => suites.includes(s));
  if (suite === undefined) fail('SCHAN_VERSION', `no common suite in ${suites.join(',')}`);

  const ephemeral = p384KeyPair(options.random);
  const signedPart = concatBytes(
    MAGIC,
    Uint8Array.of(SERVER_HELLO),
    u16(version),
    u16(suite),
    options.random.bytes(RANDOM_BYTES),
    ephemeral.publicKey,
    Uint8Array.of(options.chainDer.length),
    ...options.chainDer.flatMap((der) => [u16(der.length), der]),
  );
  const transcriptHash = sha384(concatBytes(ch, signedPart));
  const signature = p384Sign(concatBytes(SIGNATURE_CONTEXT, transcriptHash), options.privateKey);
  let shared: Uint8Array;
  try {
    shared = ecdhP384(ephemeral.privateKey, clientShare);
  } finally {
    wipe(ephemeral.privateKey);
  }
  const keys = keySchedule(shared, transcriptHash, version, suite);
  wipe(shared);
  const serverFinished = hmac(keys.serverFinishedKey, sha384(concatBytes(ch, signedPart, signature)));
  const sh = concatBytes(signedPart, signature, serverFinished);
  transport.send(sh);

  const finished = openHandshake(await transport.receive(), FINISHED, 'Finished');
  const mac = finished.take(MAC_BYTES);
  finished.end();
  if (!macEqual(mac, hmac(keys.clientFinishedKey, sha384(concatBytes(ch, sh))))) {
    fail('SCHAN_FINISHED', 'the client Finished does not match the transcript');
  }
  wipe(keys.serverFinishedKey);
  wipe(keys.clientFinishedKey);
  return new SecureChannel(transport, new RecordProtector(keys.serverWrite, version), new RecordProtector(keys.clientWrite, version));
}
