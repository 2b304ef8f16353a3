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
import { type RandomSource, concatBytes, utf8, wipe } from './bytes.ts';
import { P384_POINT_LENGTH, P384_SIGNATURE_LENGTH, p384KeyPair, p384Sign, p384Verify } from './ecdsa.ts';
import { sha384 } from './hash.ts';
import { verifyCertificateChain } from './x509-chain.ts';
import { type ParsedCertificate, parseCertificate } from './x509-parse.ts';
import { RecordProtector } from './secure-channel-record.ts';
import {
  CHAIN_CERTS_MAX,
  CLIENT_HELLO,
  FINISHED,
  MAC_BYTES,
  MAGIC,
  RANDOM_BYTES,
  SERVER_HELLO,
  SIGNATURE_CONTEXT,
  SUPPORTED_SUITES,
  SUPPORTED_VERSIONS,
  clientHello,
  ecdhP384,
  fail,
  hmac,
  keySchedule,
  list,
  macEqual,
  openHandshake,
  serverNameOf,
  u16,
} from './secure-channel-handshake.ts';
import { SecureChannel, type MessageTransport } from './secure-channel-session.ts';

export { SCHAN_VERSION_1, SCHAN_SUITE_P384_AES256GCM_SHA384, isSecureChannelHello, ecdhP384 } from './secure-channel-handshake.ts';
export { SecureChannel, type MessageTransport } from './secure-channel-session.ts';

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

/** The client side: handshake over `transport`, then records. Errors are EmuErrors with SCHAN_* or CHAIN_* codes. */
export function secureChannelConnect(transport: MessageTransport, options: SecureClientOptions): Promise<SecureChannel> {
  return closeOnFailure(transport, () => connect(transport, options));
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
export function secureChannelAccept(transport: MessageTransport, options: SecureServerOptions): Promise<SecureChannel> {
  return closeOnFailure(transport, () => accept(transport, options));
}

/** Runs one side's handshake; if it fails, the transport is closed before the error goes on. */
async function closeOnFailure(transport: MessageTransport, handshake: () => Promise<SecureChannel>): Promise<SecureChannel> {
  try {
    return await handshake();
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
