import { EmuError } from '../../errors.ts';
import { fromUtf8, utf8 } from '../../crypto/index.ts';
import { JOB_ID_BYTES_MAX } from './constants.ts';
import { EVIDENCE_BYTES_MAX, EVIDENCE_DEVICE, EVIDENCE_ENCLAVE, type LinkEvidence } from './evidence.ts';
import { WireReader, WireWriter } from './wire-io.ts';

// Handshake messages: "EFAL" ‖ type ‖ fields, big-endian, every variable field length-prefixed and bounded.
// ClientHello and ServerHello are hashed whole into the transcript, so every field (version, offered suites,
// flags, job, identities, keys, evidence) is bound by the Finished MACs (NET-07).

const MAGIC = utf8('EFAL');
export const MSG_CLIENT_HELLO = 1;
export const MSG_SERVER_HELLO = 2;
export const MSG_FINISHED = 3;
export const RANDOM_BYTES = 32;
export const POINT_BYTES = 97;
export const MAC_BYTES = 48;
const SUITES_MAX = 8;

export interface Hello {
  readonly version: number;
  /** ClientHello: offered suites in preference order; ServerHello: exactly the selected one. */
  readonly suites: readonly number[];
  readonly flags: number;
  readonly jobId: string;
  readonly host: number;
  readonly rank: number;
  /** ClientHello: the responder the initiator means to reach; ServerHello: the initiator it answers. */
  readonly peerHost: number;
  readonly random: Uint8Array;
  readonly ephemeralPublicKey: Uint8Array;
  readonly evidence: LinkEvidence;
}

function writeHello(type: number, hello: Hello): WireWriter {
  const w = new WireWriter().raw(MAGIC).u8(type).u16(hello.version).u8(hello.suites.length);
  for (const suite of hello.suites) w.u16(suite);
  w.u8(hello.flags).vec(utf8(hello.jobId)).u32(hello.host).u32(hello.rank).u32(hello.peerHost);
  w.raw(hello.random).raw(hello.ephemeralPublicKey);
  if (hello.evidence.kind === 'enclave') w.u8(EVIDENCE_ENCLAVE).vec(hello.evidence.document);
  else w.u8(EVIDENCE_DEVICE).vec(hello.evidence.token);
  return w;
}

function readHeader(r: WireReader, type: number): void {
  const magic = r.raw(MAGIC.length, 'magic');
  if (magic.some((b, i) => b !== MAGIC[i])) throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'not a link handshake message');
  const got = r.u8('type');
  if (got !== type) {
    throw new EmuError('LINK_HANDSHAKE_UNEXPECTED', `expected handshake message ${type}, got ${got}`, { expected: type, got });
  }
}

function readHello(r: WireReader): Hello {
  const version = r.u16('version');
  const count = r.u8('suite count');
  if (count < 1 || count > SUITES_MAX) throw new EmuError('LINK_HANDSHAKE_MALFORMED', `suite count ${count} outside 1..${SUITES_MAX}`);
  const suites: number[] = [];
  for (let i = 0; i < count; i++) suites.push(r.u16('suite'));
  const flags = r.u8('flags');
  const jobBytes = r.vec('job id', JOB_ID_BYTES_MAX);
  let jobId: string;
  try {
    jobId = fromUtf8(jobBytes);
  } catch {
    throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'job id is not UTF-8');
  }
  if (jobId.length === 0) throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'empty job id');
  const host = r.u32('host');
  const rank = r.u32('rank');
  const peerHost = r.u32('peer host');
  const random = r.raw(RANDOM_BYTES, 'random');
  const ephemeralPublicKey = r.raw(POINT_BYTES, 'ephemeral key');
  if (ephemeralPublicKey[0] !== 0x04) throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'ephemeral key is not an uncompressed point');
  const kind = r.u8('evidence kind');
  const body = r.vec('evidence', EVIDENCE_BYTES_MAX);
  let evidence: LinkEvidence;
  if (kind === EVIDENCE_ENCLAVE) evidence = { kind: 'enclave', document: body };
  else if (kind === EVIDENCE_DEVICE) evidence = { kind: 'device', token: body };
  else throw new EmuError('LINK_HANDSHAKE_MALFORMED', `unknown evidence kind ${kind}`);
  return { version, suites, flags, jobId, host, rank, peerHost, random, ephemeralPublicKey, evidence };
}

export function encodeClientHello(hello: Hello): Uint8Array {
  return writeHello(MSG_CLIENT_HELLO, hello).finish();
}

export function decodeClientHello(bytes: Uint8Array): Hello {
  const r = new WireReader(bytes);
  readHeader(r, MSG_CLIENT_HELLO);
  const hello = readHello(r);
  r.end();
  return hello;
}

/** The ServerHello without its MAC (what the MAC covers) and the complete message. */
export function encodeServerHelloCore(hello: Hello): Uint8Array {
  if (hello.suites.length !== 1) throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'a ServerHello selects exactly one suite');
  return writeHello(MSG_SERVER_HELLO, hello).finish();
}

export function decodeServerHello(bytes: Uint8Array): { readonly hello: Hello; readonly core: Uint8Array; readonly mac: Uint8Array } {
  const r = new WireReader(bytes);
  readHeader(r, MSG_SERVER_HELLO);
  const hello = readHello(r);
  if (hello.suites.length !== 1) throw new EmuError('LINK_HANDSHAKE_MALFORMED', 'a ServerHello selects exactly one suite');
  const coreLength = r.offset;
  const mac = r.raw(MAC_BYTES, 'mac');
  r.end();
  return { hello, core: bytes.slice(0, coreLength), mac };
}

export function encodeFinished(mac: Uint8Array): Uint8Array {
  return new WireWriter().raw(MAGIC).u8(MSG_FINISHED).raw(mac).finish();
}

export function decodeFinished(bytes: Uint8Array): Uint8Array {
  const r = new WireReader(bytes);
  readHeader(r, MSG_FINISHED);
  const mac = r.raw(MAC_BYTES, 'mac');
  r.end();
  return mac;
}
